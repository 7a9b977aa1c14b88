// The token-exchange grant's rules on in-memory fakes: scope narrowing, the actor chain, the
// lifetime cap, and what makes a subject token or an audience unacceptable.
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { fakeDeps, storedAuditEvents, type FakeDeps } from '../helpers/fakes.js';
import { FakeClock } from '../helpers/clock.js';
import { detailOf, tokenCmd, userInput } from '../helpers/commands.js';
import * as admin from '../../src/domain/accounts/admin.js';
import { token } from '../../src/domain/tokens/token.js';
import type { SignetError } from '../../src/domain/errors.js';
import { TOKEN_EXCHANGE, actOf, exchangeScope } from '../../src/domain/tokens/grants/token-exchange.js';
import type { Client } from '../../src/domain/model.js';
import type { TokenRequest } from '../../src/gen/signet/auth/v1/token.js';

const AT = 'urn:ietf:params:oauth:token-type:access_token';

const clientWith = (scopes: string[]) => ({ scopes }) as Client;

describe('exchangeScope', () => {
  it('grants what was asked when both the subject token and the client have it', () => {
    expect(exchangeScope(clientWith(['a', 'b', 'c']), 'a b', 'b')).toEqual(['b']);
    expect(exchangeScope(clientWith(['a', 'b']), 'a b', ' a  a b ')).toEqual(['a', 'b']);
  });

  it('by default grants what the two share, and never nothing', () => {
    expect(exchangeScope(clientWith(['a', 'c']), 'a b c', '')).toEqual(['a', 'c']);
    expect(() => exchangeScope(clientWith(['x']), 'a b', '')).toThrow(expect.objectContaining({ reason: 'invalid_scope' }));
    expect(() => exchangeScope(clientWith(['a']), '', '')).toThrow(expect.objectContaining({ reason: 'invalid_scope' }));
  });

  it('refuses a scope beyond the subject token or beyond the client, naming it', () => {
    const beyondSubject = (() => {
      try {
        exchangeScope(clientWith(['a', 'b']), 'a', 'a b');
      } catch (e) {
        return e as SignetError;
      }
    })();
    expect(beyondSubject).toMatchObject({ reason: 'invalid_scope', details: { metadata: { scope: 'b' } } });
    expect(() => exchangeScope(clientWith(['a']), 'a b', 'b')).toThrow(expect.objectContaining({ reason: 'invalid_scope' }));
  });
});

describe('actOf', () => {
  it('names the client, and nests an earlier actor (RFC 8693 4.1)', () => {
    expect(actOf('gw', undefined)).toEqual({ sub: 'gw' });
    expect(actOf('svc2', { sub: 'gw' })).toEqual({ sub: 'svc2', act: { sub: 'gw' } });
    expect(actOf('svc3', { sub: 'svc2', act: { sub: 'gw' } })).toEqual({ sub: 'svc3', act: { sub: 'svc2', act: { sub: 'gw' } } });
    // Anything else in the claim is not an actor.
    expect(actOf('gw', 'x')).toEqual({ sub: 'gw' });
    expect(actOf('gw', { id: 1 })).toEqual({ sub: 'gw' });
  });
});

describe('the token-exchange grant', () => {
  let deps: FakeDeps;
  let clock: FakeClock;
  const secrets: Record<string, string> = {};
  let userId: string;

  async function client(id: string, tenantId: string, grantTypes: string[], scopes: string[], accessTokenTtl = 0) {
    const { secret } = await admin.createClient(deps, {
      id,
      tenantId,
      name: id,
      public: false,
      grantTypes,
      scopes,
      accessTokenTtl,
      refreshTokenTtl: 0,
      maxSessions: 5,
    });
    secrets[id] = secret;
  }

  const signIn = async (clientId = 'app', username = 'u1') =>
    (
      await token(
        deps,
        tokenCmd({ grant_type: 'password', client_id: clientId, client_secret: secrets[clientId], username, password: 'pw' }),
      )
    ).accessToken;

  const exchange = (clientId: string, subject: string, extra: Partial<TokenRequest> = {}) =>
    token(
      deps,
      tokenCmd({
        grant_type: TOKEN_EXCHANGE,
        client_id: clientId,
        client_secret: secrets[clientId],
        subject_token: subject,
        subject_token_type: AT,
        ...extra,
      }),
    );

  async function user(tenantId: string, username: string) {
    return admin.createUser(deps, userInput({ tenantId, username, password: 'pw', bypassPasswordPolicy: true, groups: ['g'] }));
  }

  beforeEach(async () => {
    clock = new FakeClock(Date.now());
    deps = await fakeDeps({}, clock);
    await admin.createTenant(deps, 't1', 'T1', {});
    await admin.createTenant(deps, 't2', 'T2', {});
    await client('app', 't1', ['password'], ['openid', 'user', 'read'], 600);
    await client('gw', 't1', [TOKEN_EXCHANGE], ['openid', 'read', 'write'], 3600);
    await client('down', 't1', ['client_credentials'], ['read']);
    await client('app2', 't2', ['password'], ['openid', 'user', 'read']);
    userId = (await user('t1', 'u1')).id;
    await user('t2', 'u2');
  });

  it('issues an access token of the same user and session, acted by the client, for the audience', async () => {
    const subject = await signIn();
    const out = await exchange('gw', subject, { scope: 'read', audience: 'down' });
    expect(out).toMatchObject({ tokenType: 'Bearer', issuedTokenType: AT, scope: 'read', refreshToken: '', idToken: '', sub: userId });
    const claims = decodeJwt(out.accessToken);
    expect(claims).toMatchObject({ sub: userId, sid: decodeJwt(subject).sid, aud: 'down', client_id: 'gw', act: { sub: 'gw' }, tid: 't1' });
    await deps.audit.flush();
    const events = await storedAuditEvents(deps.storage);
    expect(events.find((e) => e.event === 'token' && e.reason === 'token_exchange')).toMatchObject({ clientId: 'gw', userId });
  });

  it('caps the lifetime at the subject token: exp and expires_in both', async () => {
    const subject = await signIn();
    clock.advance(400_000);
    const out = await exchange('gw', subject);
    expect(decodeJwt(out.accessToken).exp).toBe(decodeJwt(subject).exp);
    expect(out.expiresIn).toBe(200);
  });

  it('refuses a subject token whose user can no longer sign in (invalid_grant)', async () => {
    const subject = await signIn();
    await deps.storage.users.update(userId, { status: 'blocked' });
    expect(await detailOf(exchange('gw', subject))).toBe('invalid_grant:subject_user_unusable');
  });

  it('refuses a subject token of another tenant, and an audience that is not an enabled client of the tenant', async () => {
    expect(await detailOf(exchange('gw', await signIn('app2', 'u2')))).toBe('invalid_grant:subject_other_tenant');
    const subject = await signIn();
    expect(await detailOf(exchange('gw', subject, { audience: 'app2' }))).toBe('invalid_argument:bad_audience');
    await admin.updateClient(deps, 'down', { status: 'disabled' });
    expect(await detailOf(exchange('gw', subject, { audience: 'down' }))).toBe('invalid_argument:bad_audience');
  });

  it('stops working when the client it names is disabled (as every access token does)', async () => {
    await admin.updateClient(deps, 'app', { grantTypes: ['password', TOKEN_EXCHANGE] });
    const out = await exchange('gw', await signIn());
    expect(await detailOf(exchange('app', out.accessToken))).toBe('ok');
    await admin.updateClient(deps, 'gw', { status: 'disabled' });
    expect(await detailOf(exchange('app', out.accessToken))).toBe('invalid_grant:subject_client_or_tenant_disabled');
  });

  it('the operator can allow it only to confidential clients', async () => {
    await expect(
      admin.createClient(deps, {
        id: 'spa',
        tenantId: 't1',
        name: 'spa',
        public: true,
        grantTypes: [TOKEN_EXCHANGE],
        scopes: [],
        accessTokenTtl: 0,
        refreshTokenTtl: 0,
        maxSessions: 0,
      }),
    ).rejects.toMatchObject({ reason: 'invalid_argument' });
  });
});
