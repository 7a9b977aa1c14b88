// The authorization code grant with PKCE, without a hosted page: a user signed in to one app asks
// (CloudBase's /auth/v1/user/authorize, bearer token) a code for another client of the tenant, and
// that client redeems it at the token endpoint. Over REST and gRPC, against PostgreSQL + Redis,
// with the attacks RFC 6749, RFC 7636 and the OAuth 2.0 Security BCP name.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import * as oidc from 'openid-client';
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
  freePort,
  type TestSignet,
} from '../helpers/signet.js';
import { FakeClock } from '../helpers/clock.js';
import { AccountServiceClient, AccountServiceDefinition } from '../../src/gen/signet/auth/v1/account_service.js';

const CB = 'https://partner.example/cb';
const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('authorization code grant with PKCE (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  let issuer: string;
  let account: AccountServiceClient;
  let backendSecret: string;
  /** Alice, signed in to the `web` app. */
  let alice: { access_token: string; refresh_token: string; id_token: string };
  // Near the real time (openid-client checks iat and exp against its own clock); moved only by
  // the expiry test, which runs last.
  const clock = new FakeClock(Date.now());

  const acct = <Res = any>(method: keyof typeof AccountServiceDefinition.methods, partial: object, token?: string): Promise<Res> => {
    const def = AccountServiceDefinition.methods[method];
    const md = new grpc.Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) => {
      (account as any)[method]((def.requestType as any).fromPartial(partial), md, (err: grpc.ServiceError | null, res: Res) =>
        err ? reject(err) : resolve(res),
      );
    });
  };
  const authorize = (body: Record<string, string>, token = alice.access_token) =>
    post(s.http, '/auth/v1/user/authorize', body, bearer(token));
  const tokenReq = (body: Record<string, string>) => post(s.http, '/auth/v1/token', body);
  /** A code for `partner` (public) with a fresh PKCE pair. */
  const partnerCode = async (extra: Record<string, string> = {}) => {
    const p = pkce();
    const r = await authorize({
      client_id: 'partner',
      response_type: 'code',
      redirect_uri: CB,
      state: 'st-1',
      scope: 'openid profile',
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
      nonce: 'n-0S6_WzA2Mj',
      ...extra,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return { code: r.body.code as string, verifier: p.verifier, state: r.body.state as string };
  };
  const redeem = (code: string, verifier: string, extra: Record<string, string> = {}) =>
    tokenReq({ grant_type: 'authorization_code', client_id: 'partner', code, redirect_uri: CB, code_verifier: verifier, ...extra });

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    s = await startTestSignet({ backend: 'postgres', env: { SIGNET_HTTP_PORT: String(port), SIGNET_ISSUER: issuer }, clock });
    fx = await seed(s);
    const partner = await adminPost(s, '/admin/v1/clients', {
      client_id: 'partner',
      tenant_id: 'acme',
      name: 'Partner App',
      public: true,
      grant_types: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'user', 'profile', 'email', 'offline_access'],
      redirect_uris: [CB, 'https://partner.example/other', 'http://localhost:3000/cb'],
    });
    expect(partner.status, JSON.stringify(partner.body)).toBe(200);
    const backend = await adminPost(s, '/admin/v1/clients', {
      client_id: 'backend',
      tenant_id: 'acme',
      grant_types: ['authorization_code'],
      scopes: ['openid', 'user'],
      redirect_uris: ['https://backend.example/cb', CB],
    });
    expect(backend.status, JSON.stringify(backend.body)).toBe(200);
    backendSecret = backend.body.client_secret;
    // Registered URIs, but no authorization_code grant.
    await adminPost(s, '/admin/v1/clients', {
      client_id: 'nocode',
      tenant_id: 'acme',
      public: true,
      grant_types: ['password'],
      scopes: ['openid', 'user'],
      redirect_uris: [CB],
    });
    // Another tenant's client, with the same redirect URI.
    await adminPost(s, '/admin/v1/tenants', { tenant_id: 'other', name: 'Other' });
    await adminPost(s, '/admin/v1/clients', {
      client_id: 'foreign',
      tenant_id: 'other',
      public: true,
      grant_types: ['authorization_code'],
      scopes: ['openid', 'user'],
      redirect_uris: [CB],
    });
    const r = await post(s.http, '/auth/v1/signin?client_id=web', { username: 'alice', password: fx.password });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    alice = r.body;
    account = new AccountServiceClient(`127.0.0.1:${s.running.ports.grpc}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    account?.close();
    await s?.stop();
    await dropSchema(s?.schema);
  });

  describe('registered redirect URIs', () => {
    const create = (client_id: string, redirect_uris: string[]) =>
      adminPost(s, '/admin/v1/clients', { client_id, tenant_id: 'acme', public: true, grant_types: ['authorization_code'], redirect_uris });

    it('are kept as given and shown by the admin API', async () => {
      const r = await get(s.admin, '/admin/v1/clients/partner', { authorization: 'Bearer test-admin-token-0123456789' });
      expect(r.body.redirect_uris).toEqual([CB, 'https://partner.example/other', 'http://localhost:3000/cb']);
      expect(r.body.first_party).toBe(true);
    });

    it.each([
      ['plain http to a public host', 'http://partner.example/cb'],
      ['a fragment', 'https://partner.example/cb#x'],
      ['a relative URL', '/cb'],
      ['another scheme', 'ftp://partner.example/cb'],
      ['a custom scheme', 'com.example.app:/cb'],
      ['user info', 'https://user:pw@partner.example/cb'],
      ['a space', 'https://partner.example/c b'],
      ['over 2048 characters', `https://partner.example/${'a'.repeat(2030)}`],
    ])('refuses %s', async (_what, uri) => {
      const r = await create('bad', [uri]);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.details?.[1]?.field_violations?.[0]?.field ?? JSON.stringify(r.body)).toMatch(/redirect_uris/);
    });

    it('refuses more than 20', async () => {
      const r = await create(
        'bad',
        Array.from({ length: 21 }, (_, i) => `https://partner.example/cb${i}`),
      );
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toMatch(/at most 20/);
    });

    it('accepts http on localhost and 127.0.0.1; an update replaces or clears the list (REST and gRPC)', async () => {
      const ok = await create('loopback', ['http://127.0.0.1:8080/cb', 'http://localhost/cb']);
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      const up = await adminPost(s, '/admin/v1/clients/loopback', { redirect_uris: { values: ['https://app.example/cb'] } }, 'PATCH');
      expect(up.body.redirect_uris).toEqual(['https://app.example/cb']);
      const bad = await adminPost(s, '/admin/v1/clients/loopback', { redirect_uris: { values: ['http://app.example/cb'] } }, 'PATCH');
      expect(bad.status).toBe(400);
      const md = { authorization: 'Bearer test-admin-token-0123456789' };
      const refused = await grpcFailure(
        call(s.adminGrpc, 'createClient', { client_id: 'bad2', tenant_id: 'acme', redirect_uris: ['https://x.example/#f'] }, md),
      );
      expect(refused.code).toBe(grpc.status.INVALID_ARGUMENT);
      const cleared = await call<object, any>(s.adminGrpc, 'updateClient', { client_id: 'loopback', redirect_uris: { values: [] } }, md);
      expect(cleared.redirect_uris).toEqual([]);
      const kept = await call<object, any>(s.adminGrpc, 'updateClient', { client_id: 'partner', name: 'Partner App' }, md);
      expect(kept.redirect_uris).toHaveLength(3);
    });
  });

  describe('the flow', () => {
    it('REST: authorize, then the token endpoint with the verifier; the id_token carries nonce, auth_time and amr', async () => {
      const info = await get(
        s.http,
        `/auth/v1/user/authorize/info?client_id=partner&redirect_uri=${encodeURIComponent(CB)}&scope=openid%20profile`,
        bearer(alice.access_token),
      );
      expect(info.status, JSON.stringify(info.body)).toBe(200);
      expect(info.body.client).toMatchObject({ id: 'partner', name: 'Partner App' });
      expect(info.body.scopes.map((x: { id: string }) => x.id)).toEqual(['openid', 'profile']);

      const { code, verifier, state } = await partnerCode();
      expect(state).toBe('st-1');
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const t = await redeem(code, verifier);
      expect(t.status, JSON.stringify(t.body)).toBe(200);
      expect(t.body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile', sub: fx.userId });
      expect(t.body.refresh_token).toBeTruthy();
      const id = decodeJwt(t.body.id_token);
      expect(id).toMatchObject({ iss: issuer, aud: 'partner', sub: fx.userId, nonce: 'n-0S6_WzA2Mj' });
      // When and how Alice signed in (her `web` session, with her password), not the redemption.
      expect(id).toMatchObject({ auth_time: decodeJwt(alice.id_token).auth_time, amr: ['pwd'] });
      const at = decodeJwt(t.body.access_token);
      expect(at).toMatchObject({ client_id: 'partner', scope: 'openid profile' });
      expect(at.sid).not.toBe(decodeJwt(alice.access_token).sid);
      const me = await get(s.http, '/auth/v1/user/me', bearer(t.body.access_token));
      expect(me.status).toBe(200);
      // The refresh token works as any other (rotation included).
      const r = await tokenReq({ grant_type: 'refresh_token', client_id: 'partner', refresh_token: t.body.refresh_token });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      // Audited as a token grant with its reason.
      const audit = await get(s.admin, `/admin/v1/audit-events?user_id=${fx.userId}&page_size=50`, {
        authorization: 'Bearer test-admin-token-0123456789',
      });
      const events = audit.body.events as { event: string; reason: string; client_id: string }[];
      expect(events.some((e) => e.event === 'token' && e.reason === 'authorization_code' && e.client_id === 'partner')).toBe(true);
    });

    it('gRPC: AccountService.Authorize and GetAuthorizeInfo, then AuthService.Token', async () => {
      const p = pkce();
      const info = await acct<any>('getAuthorizeInfo', { client_id: 'partner', redirect_uri: CB, scope: 'openid' }, alice.access_token);
      expect(info.client.id).toBe('partner');
      const a = await acct<any>(
        'authorize',
        {
          client_id: 'partner',
          response_type: 'code',
          redirect_uri: CB,
          state: 'g',
          code_challenge: p.challenge,
          code_challenge_method: 'S256',
          nonce: 'grpc-nonce',
        },
        alice.access_token,
      );
      expect(a.state).toBe('g');
      const t = await call<object, any>(s.grpc, 'token', {
        grant_type: 'authorization_code',
        client_id: 'partner',
        code: a.code,
        redirect_uri: CB,
        code_verifier: p.verifier,
      });
      expect(decodeJwt(t.id_token).nonce).toBe('grpc-nonce');
      expect(t.scope).toBe('openid user profile email offline_access');
      const again = await grpcFailure(
        call(s.grpc, 'token', {
          grant_type: 'authorization_code',
          client_id: 'partner',
          code: a.code,
          redirect_uri: CB,
          code_verifier: p.verifier,
        }),
      );
      expect(again.reason).toBe('invalid_grant');
      const unauth = await grpcFailure(acct('authorize', { client_id: 'partner', response_type: 'code', redirect_uri: CB }));
      expect(unauth.code).toBe(grpc.status.UNAUTHENTICATED);
    });

    it('a confidential client authenticates with its secret; PKCE is optional for it', async () => {
      const r = await authorize({
        client_id: 'backend',
        response_type: 'code',
        redirect_uri: 'https://backend.example/cb',
        scope: 'openid',
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const noSecret = await tokenReq({
        grant_type: 'authorization_code',
        client_id: 'backend',
        code: r.body.code,
        redirect_uri: 'https://backend.example/cb',
      });
      expect(noSecret.status).toBe(401);
      // The code was not taken by a request whose client failed to authenticate.
      const t = await tokenReq({
        grant_type: 'authorization_code',
        client_id: 'backend',
        client_secret: backendSecret,
        code: r.body.code,
        redirect_uri: 'https://backend.example/cb',
      });
      expect(t.status, JSON.stringify(t.body)).toBe(200);
      expect(decodeJwt(t.body.id_token).nonce).toBeUndefined();
      // A verifier for a code issued without a challenge is a downgrade: refused.
      const r2 = await authorize({ client_id: 'backend', response_type: 'code', redirect_uri: 'https://backend.example/cb' });
      const down = await tokenReq({
        grant_type: 'authorization_code',
        client_id: 'backend',
        client_secret: backendSecret,
        code: r2.body.code,
        redirect_uri: 'https://backend.example/cb',
        code_verifier: pkce().verifier,
      });
      expect(down.body.error).toBe('invalid_grant');
    });

    it('openid-client drives the token step (authorizationCodeGrant with PKCE, state and nonce checks)', async () => {
      const config = await oidc.discovery(new URL(issuer), 'partner', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
      expect(config.serverMetadata().code_challenge_methods_supported).toEqual(['S256']);
      expect(config.serverMetadata().grant_types_supported).toContain('authorization_code');
      const verifier = oidc.randomPKCECodeVerifier();
      const challenge = await oidc.calculatePKCECodeChallenge(verifier);
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const a = await authorize({
        client_id: 'partner',
        response_type: 'code',
        redirect_uri: CB,
        state,
        scope: 'openid email',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        nonce,
      });
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      // Where the browser would land; discovery promises `iss` in every authorization response
      // (RFC 9207), which the hosted endpoint adds and an SDK app passes on.
      const callback = new URL(CB);
      callback.search = new URLSearchParams({ code: a.body.code, state: a.body.state, iss: issuer }).toString();
      const t = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      expect(t.claims()).toMatchObject({ sub: fx.userId, nonce, aud: 'partner' });
      expect(t.scope).toBe('openid email');
    });
  });

  describe('what is refused', () => {
    it('a redirect URI not registered character for character', async () => {
      for (const redirect_uri of [
        `${CB}/`,
        'https://PARTNER.example/cb',
        'https://partner.example/CB',
        `${CB}?x=1`,
        'https://partner.example/cb2',
        '',
      ]) {
        const r = await authorize({
          client_id: 'partner',
          response_type: 'code',
          redirect_uri,
          code_challenge: pkce().challenge,
          code_challenge_method: 'S256',
        });
        expect(r.status, redirect_uri).toBe(400);
        expect(r.body.error).toBe('invalid_argument');
      }
      // At the token endpoint: another of the client's registered URIs is not the one bound.
      const { code, verifier } = await partnerCode();
      const r = await redeem(code, verifier, { redirect_uri: 'https://partner.example/other' });
      expect(r.body.error).toBe('invalid_grant');
      expect((await redeem(code, verifier)).body.error).toBe('invalid_grant');
    });

    it('a public client without PKCE, the plain method, no method, a malformed challenge', async () => {
      const base = { client_id: 'partner', response_type: 'code', redirect_uri: CB };
      const { verifier, challenge } = pkce();
      for (const extra of <Record<string, string>[]>[
        {},
        { code_challenge: verifier, code_challenge_method: 'plain' },
        { code_challenge: challenge },
        { code_challenge: 'short', code_challenge_method: 'S256' },
        { code_challenge_method: 'S256' },
      ]) {
        const r = await authorize({ ...base, ...extra });
        expect(r.status, JSON.stringify(extra)).toBe(400);
        expect(r.body.error).toBe('invalid_argument');
      }
      expect((await authorize({ ...base, response_type: 'token', code_challenge: challenge, code_challenge_method: 'S256' })).status).toBe(
        400,
      );
    });

    it('a wrong or missing verifier, and the code is spent by it', async () => {
      const a = await partnerCode();
      expect((await redeem(a.code, pkce().verifier)).body.error).toBe('invalid_grant');
      expect((await redeem(a.code, a.verifier)).body.error).toBe('invalid_grant');
      const b = await partnerCode();
      const missing = await tokenReq({ grant_type: 'authorization_code', client_id: 'partner', code: b.code, redirect_uri: CB });
      expect(missing.body.error).toBe('invalid_grant');
      expect((await redeem(b.code, b.verifier)).body.error).toBe('invalid_grant');
    });

    it('a replayed code: refused, and the session it issued is revoked at once', async () => {
      const { code, verifier } = await partnerCode();
      const first = await redeem(code, verifier);
      expect(first.status).toBe(200);
      expect((await get(s.http, '/auth/v1/user/me', bearer(first.body.access_token))).status).toBe(200);
      const replay = await redeem(code, verifier);
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');
      expect((await get(s.http, '/auth/v1/user/me', bearer(first.body.access_token))).status).toBe(401);
      const r = await tokenReq({ grant_type: 'refresh_token', client_id: 'partner', refresh_token: first.body.refresh_token });
      expect(r.body.error).toBe('invalid_grant');
      // Alice's own session, which authorized the code, lives on.
      expect((await get(s.http, '/auth/v1/user/me', bearer(alice.access_token))).status).toBe(200);
    });

    it("client A's code presented by client B", async () => {
      const { code, verifier } = await partnerCode();
      const r = await tokenReq({
        grant_type: 'authorization_code',
        client_id: 'backend',
        client_secret: backendSecret,
        code,
        redirect_uri: CB,
        code_verifier: verifier,
      });
      expect(r.body.error).toBe('invalid_grant');
      // And it is spent for A as well.
      expect((await redeem(code, verifier)).body.error).toBe('invalid_grant');
    });

    it('a client without the grant, of another tenant, unknown; no bearer; a scope the client lacks', async () => {
      const p = pkce();
      const ask = (client_id: string, extra: Record<string, string> = {}) =>
        authorize({
          client_id,
          response_type: 'code',
          redirect_uri: CB,
          code_challenge: p.challenge,
          code_challenge_method: 'S256',
          ...extra,
        });
      expect((await ask('nocode')).status).toBe(403);
      const foreign = await ask('foreign');
      expect(foreign.status).toBe(401);
      expect(foreign.body.error).toBe('invalid_client');
      expect((await ask('nobody')).body.error).toBe('invalid_client');
      expect((await ask('partner', { scope: 'openid orders.write' })).body.error).toBe('invalid_scope');
      const anon = await post(s.http, '/auth/v1/user/authorize', { client_id: 'partner', response_type: 'code', redirect_uri: CB });
      expect(anon.status).toBe(401);
      // The token endpoint: a client without the grant.
      const r = await tokenReq({
        grant_type: 'authorization_code',
        client_id: 'web',
        code: 'x',
        redirect_uri: CB,
        code_verifier: p.verifier,
      });
      expect(r.status).toBe(403);
    });

    it('a code whose authorizing session ended', async () => {
      const other = await post(s.http, '/auth/v1/signin?client_id=web', { username: 'alice', password: fx.password });
      const { code, verifier } = await (async () => {
        const p = pkce();
        const a = await authorize(
          { client_id: 'partner', response_type: 'code', redirect_uri: CB, code_challenge: p.challenge, code_challenge_method: 'S256' },
          other.body.access_token,
        );
        return { code: a.body.code, verifier: p.verifier };
      })();
      await post(s.http, '/auth/v1/user/signout', {}, bearer(other.body.access_token));
      expect((await redeem(code, verifier)).body.error).toBe('invalid_grant');
    });

    // Last: it moves the clock.
    it('an expired code', async () => {
      const { code, verifier } = await partnerCode();
      clock.advance(61_000);
      const r = await redeem(code, verifier);
      expect(r.body.error).toBe('invalid_grant');
    });
  });
});
