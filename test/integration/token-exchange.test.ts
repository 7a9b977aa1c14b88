// Token exchange (RFC 8693) at the token endpoint, over form-encoded REST as RFC 8693 clients send
// it and over gRPC: a backend exchanges a user's access token for a narrower one for the service
// it calls next; the new token belongs to the user's session and names the backend as the actor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import {
  adminPost,
  call,
  dropSchema,
  get,
  grpcFailure,
  post,
  seed,
  startTestSignet,
  basicAuth,
  type TestSignet,
} from '../helpers/signet.js';
import { FakeClock } from '../helpers/clock.js';
import type { TokenResponse } from '../../src/gen/signet/auth/v1/token.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };

async function form(base: string, path: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

describe('token exchange (RFC 8693; PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  const clock = FakeClock.midMinute();
  const secrets: Record<string, string> = {};

  async function client(body: Record<string, unknown>) {
    const r = await adminPost(s, '/admin/v1/clients', body);
    if (r.status !== 200) throw new Error(`client: ${JSON.stringify(r.body)}`);
    secrets[body.client_id as string] = r.body.client_secret;
  }

  /** A user access token with the scopes openid, user and orders.read (svc's password grant). */
  async function userToken(username = 'alice', password = fx.password, clientId = 'svc', secret = fx.secret) {
    const r = await form(
      s.http,
      '/auth/v1/token',
      { grant_type: 'password', username, password },
      { authorization: basicAuth(clientId, secret) },
    );
    if (r.status !== 200) throw new Error(`sign-in: ${JSON.stringify(r.body)}`);
    return r.body as { access_token: string; refresh_token: string; scope: string };
  }

  const exchange = (clientId: string, subject: string, extra: Record<string, string> = {}) =>
    form(
      s.http,
      '/auth/v1/token',
      { grant_type: GRANT, subject_token: subject, subject_token_type: AT, ...extra },
      { authorization: basicAuth(clientId, secrets[clientId]) },
    );

  const me = (token: string) => get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${token}` });

  beforeAll(async () => {
    s = await startTestSignet({ backend: 'postgres', clock });
    fx = await seed(s);
    // The backend that exchanges: the grant, and scopes that overlap the user's token only in part.
    await client({
      client_id: 'gateway',
      tenant_id: 'acme',
      grant_types: [GRANT],
      scopes: ['openid', 'orders.read', 'orders.write'],
      access_token_ttl_seconds: 86400,
    });
    // The downstream service; it may exchange in turn.
    await client({ client_id: 'orders', tenant_id: 'acme', grant_types: [GRANT], scopes: ['orders.read'] });
    await client({ client_id: 'plain', tenant_id: 'acme', grant_types: ['client_credentials'], scopes: ['openid', 'orders.read'] });
    // Another tenant, its own exchanging backend and a user.
    expect((await adminPost(s, '/admin/v1/tenants', { tenant_id: 'globex', name: 'Globex' })).status).toBe(200);
    await client({ client_id: 'gx-svc', tenant_id: 'globex', grant_types: ['password', GRANT], scopes: ['openid', 'user', 'orders.read'] });
    const bob = await adminPost(s, '/admin/v1/users', { tenant_id: 'globex', username: 'bob', password: fx.password });
    expect(bob.status).toBe(200);
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('is advertised in the discovery document', async () => {
    const d = await get(s.http, '/.well-known/openid-configuration');
    expect(d.body.grant_types_supported).toContain(GRANT);
  });

  it('issues a narrowed token of the same user and session, acted by the client, for the audience; it works at user/me', async () => {
    const subject = await userToken();
    const r = await exchange('gateway', subject.access_token, { scope: 'orders.read', audience: 'orders' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', issued_token_type: AT, scope: 'orders.read' });
    expect(r.body.refresh_token).toBeUndefined();
    expect(r.body.id_token).toBeUndefined();
    expect(r.body.expires_in).toBeGreaterThan(0);
    const was = decodeJwt(subject.access_token);
    const got = decodeJwt(r.body.access_token);
    expect(got).toMatchObject({
      sub: fx.userId,
      sid: was.sid,
      aud: 'orders',
      client_id: 'gateway',
      act: { sub: 'gateway' },
      scope: 'orders.read',
      tid: 'acme',
    });
    expect(got.exp).toBeLessThanOrEqual(was.exp!);
    const mine = await me(r.body.access_token);
    expect(mine.status).toBe(200);
    expect(mine.body.sub).toBe(fx.userId);
    // A delegated token never acts on the account: not its sessions, not sudo, not signing out.
    const auth = { authorization: `Bearer ${r.body.access_token}` };
    expect((await get(s.http, '/auth/v1/user/sessions', auth)).body.error).toBe('permission_denied');
    expect((await post(s.http, '/auth/v1/user/sudo', { password: fx.password }, auth)).body.error).toBe('permission_denied');
    expect((await post(s.http, '/auth/v1/user/signout', {}, auth)).body.error).toBe('permission_denied');
    expect((await me(subject.access_token)).status).toBe(200);
  });

  it('by default grants what the subject token and the client share, for the client itself', async () => {
    const r = await exchange('gateway', (await userToken()).access_token);
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('openid orders.read');
    expect(decodeJwt(r.body.access_token)).toMatchObject({ aud: 'gateway', client_id: 'gateway' });
  });

  it('nests the earlier actor when an exchanged token is exchanged again (RFC 8693 4.1)', async () => {
    const first = await exchange('gateway', (await userToken()).access_token, { scope: 'orders.read', audience: 'orders' });
    const second = await exchange('orders', first.body.access_token, { scope: 'orders.read' });
    expect(second.status).toBe(200);
    expect(decodeJwt(second.body.access_token)).toMatchObject({
      sub: fx.userId,
      client_id: 'orders',
      act: { sub: 'orders', act: { sub: 'gateway' } },
    });
  });

  it('never outlives the subject token', async () => {
    const subject = await userToken();
    const was = decodeJwt(subject.access_token);
    // svc's tokens live 7200 s, gateway's 86400 s: 100 s before the subject expires, 100 s are left.
    clock.advance((was.exp! - was.iat! - 100) * 1000);
    const r = await exchange('gateway', subject.access_token, { scope: 'orders.read' });
    expect(r.status).toBe(200);
    expect(decodeJwt(r.body.access_token).exp).toBe(was.exp);
    expect(r.body.expires_in).toBeLessThanOrEqual(100);
    clock.advance(101_000);
    expect((await me(r.body.access_token)).status).toBe(401);
    // An expired subject token is no grant.
    expect(await exchange('gateway', subject.access_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('is refused at once when the user signs out or the session is revoked', async () => {
    const subject = await userToken();
    const r = await exchange('gateway', subject.access_token, { scope: 'orders.read', audience: 'orders' });
    expect((await me(r.body.access_token)).status).toBe(200);
    expect((await post(s.http, '/auth/v1/user/signout', {}, { authorization: `Bearer ${subject.access_token}` })).status).toBe(200);
    expect((await me(r.body.access_token)).status).toBe(401);
    // …and a revoked session's token cannot be exchanged either.
    expect(await exchange('gateway', subject.access_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    const other = await userToken();
    const x = await exchange('gateway', other.access_token, { scope: 'orders.read' });
    const revoked = await adminPost(s, `/admin/v1/users/${fx.userId}/sessions:revoke`, {});
    expect(revoked.status).toBe(200);
    expect((await me(x.body.access_token)).status).toBe(401);
  });

  it('refuses scope escalation: beyond the subject token or beyond the client (invalid_scope)', async () => {
    const subject = (await userToken()).access_token;
    // orders.write: the client may have it, the user's token does not.
    const beyondSubject = await exchange('gateway', subject, { scope: 'orders.read orders.write' });
    expect(beyondSubject).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    // user: the user's token has it, the client may not.
    expect(await exchange('gateway', subject, { scope: 'user' })).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    // An exchanged token cannot be widened by exchanging it again.
    const narrow = await exchange('gateway', subject, { scope: 'orders.read' });
    expect(await exchange('gateway', narrow.body.access_token, { scope: 'openid' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_scope' },
    });
  });

  it('refuses a public client, and a client not allowed the grant', async () => {
    const subject = (await userToken()).access_token;
    const pub = await form(s.http, '/auth/v1/token', {
      grant_type: GRANT,
      client_id: 'web',
      subject_token: subject,
      subject_token_type: AT,
    });
    expect(pub).toMatchObject({ status: 401, body: { error: 'unauthorized_client' } });
    const notAllowed = await exchange('plain', subject);
    expect(notAllowed).toMatchObject({ status: 403, body: { error: 'permission_denied' } });
    // The operator cannot allow it to a public client in the first place.
    const r = await adminPost(s, '/admin/v1/clients', { client_id: 'pub-x', tenant_id: 'acme', public: true, grant_types: [GRANT] });
    expect(r).toMatchObject({ status: 400, body: { error: 'invalid_argument' } });
  });

  it('refuses a subject token that is garbage, a refresh token, or a client_credentials token (invalid_grant)', async () => {
    const t = await userToken();
    expect(await exchange('gateway', 'not-a-token')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await exchange('gateway', t.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const cc = await form(
      s.http,
      '/auth/v1/token',
      { grant_type: 'client_credentials' },
      { authorization: basicAuth('plain', secrets.plain) },
    );
    expect(cc.status).toBe(200);
    expect(await exchange('gateway', cc.body.access_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it("refuses another tenant's subject token and another tenant's audience", async () => {
    const bob = await userToken('bob', fx.password, 'gx-svc', secrets['gx-svc']);
    expect(await exchange('gateway', bob.access_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const alice = await userToken();
    expect(await exchange('gx-svc', alice.access_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const wrongAudience = await exchange('gateway', alice.access_token, { audience: 'gx-svc' });
    expect(wrongAudience).toMatchObject({ status: 400, body: { error: 'invalid_argument' } });
    // An unknown audience gets the very same answer.
    const unknown = await exchange('gateway', alice.access_token, { audience: 'nobody' });
    expect(unknown.body.error_description).toBe(wrongAudience.body.error_description);
  });

  it('refuses what it does not support (invalid_argument): other token types, resource, actor tokens', async () => {
    const subject = (await userToken()).access_token;
    const cases: Record<string, string>[] = [
      { subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' },
      { subject_token_type: '' },
      { requested_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
      { resource: 'https://orders.example.com/' },
      { actor_token: subject, actor_token_type: AT },
      { subject_token: '' },
    ];
    for (const extra of cases) {
      const r = await exchange('gateway', subject, extra);
      expect([r.status, r.body.error], JSON.stringify(extra)).toEqual([400, 'invalid_argument']);
    }
    const ok = await exchange('gateway', subject, { requested_token_type: AT });
    expect(ok.status).toBe(200);
  });

  it('audits each exchange as a token event with reason token_exchange', async () => {
    await exchange('gateway', (await userToken()).access_token, { scope: 'orders.read' });
    await s.running.deps.audit.flush();
    const events = await get(s.admin, '/admin/v1/audit-events?event=token&page_size=100', ADMIN);
    const mine = (events.body.events as Array<{ reason: string; client_id: string; user_id: string }>).filter(
      (e) => e.reason === 'token_exchange',
    );
    expect(mine.length).toBeGreaterThan(0);
    expect(mine[0]).toMatchObject({ client_id: 'gateway', user_id: fx.userId });
  });

  it('works over gRPC, with the same refusals', async () => {
    const subject = (await userToken()).access_token;
    const res = await call<object, TokenResponse>(s.grpc, 'token', {
      grant_type: GRANT,
      client_id: 'gateway',
      client_secret: secrets.gateway,
      subject_token: subject,
      subject_token_type: AT,
      audience: 'orders',
      scope: 'orders.read',
    });
    expect(res).toMatchObject({ token_type: 'Bearer', issued_token_type: AT, scope: 'orders.read' });
    expect(res.refresh_token).toBeUndefined();
    expect(decodeJwt(res.access_token)).toMatchObject({ aud: 'orders', act: { sub: 'gateway' }, sub: fx.userId });
    const escalation = await grpcFailure(
      call(s.grpc, 'token', {
        grant_type: GRANT,
        client_id: 'gateway',
        client_secret: secrets.gateway,
        subject_token: subject,
        subject_token_type: AT,
        scope: 'orders.write',
      }),
    );
    expect(escalation.reason).toBe('invalid_scope');
    const garbage = await grpcFailure(
      call(s.grpc, 'token', {
        grant_type: GRANT,
        client_id: 'gateway',
        client_secret: secrets.gateway,
        subject_token: 'x.y.z',
        subject_token_type: AT,
      }),
    );
    expect(garbage.reason).toBe('invalid_grant');
  });
});
