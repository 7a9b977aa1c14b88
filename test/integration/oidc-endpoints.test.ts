// Standard OpenID Connect endpoints beside CloudBase's: UserInfo (OIDC Core 5.3) over REST (GET and
// POST, driven by openid-client) and gRPC; RP-Initiated Logout 1.0 at /oidc/logout; and the `act`
// chain of exchanged tokens in introspection (RFC 8693 4.1, RFC 7662).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import {
  adminPost,
  call,
  dropSchema,
  get,
  grpcFailure,
  seed,
  startTestSignet,
  freePort,
  basicAuth,
  type TestSignet,
} from '../helpers/signet.js';
import { FakeClock } from '../helpers/clock.js';

const GRANT_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const CB = 'https://rp.example/signed-out';

describe('OpenID Connect endpoints (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  let issuer: string;
  const clock = FakeClock.midMinute();
  const secrets: Record<string, string> = {};

  async function client(body: Record<string, unknown>) {
    const r = await adminPost(s, '/admin/v1/clients', body);
    if (r.status !== 200) throw new Error(`client: ${JSON.stringify(r.body)}`);
    secrets[body.client_id as string] = r.body.client_secret;
  }

  async function form(path: string, params: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await fetch(issuer + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
      redirect: 'manual',
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text };
  }

  /** Tokens of alice at `clientId` by the password grant, with the scopes asked (all when ''). */
  async function tokens(clientId: string, scope = '') {
    const r = await form(
      '/auth/v1/token',
      { grant_type: 'password', username: 'alice', password: fx.password, ...(scope ? { scope } : {}) },
      { authorization: basicAuth(clientId, secrets[clientId]) },
    );
    if (r.status !== 200) throw new Error(`token: ${r.text}`);
    return JSON.parse(r.text) as { access_token: string; id_token: string; refresh_token: string; scope: string };
  }

  const me = (token: string) => get(issuer, '/auth/v1/user/me', { authorization: `Bearer ${token}` });
  const logout = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${issuer}/oidc/logout?${new URLSearchParams(params)}`, { redirect: 'manual', headers });

  const discover = (clientId: string) =>
    oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(secrets[clientId]), {
      execute: [oidc.allowInsecureRequests],
    });

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    s = await startTestSignet({ backend: 'postgres', clock, env: { SIGNET_HTTP_PORT: String(port), SIGNET_ISSUER: issuer } });
    fx = await seed(s);
    secrets.svc = fx.secret;
    await client({
      client_id: 'rp',
      tenant_id: 'acme',
      grant_types: ['password', 'refresh_token'],
      scopes: ['openid', 'user', 'profile', 'email', 'phone'],
      redirect_uris: [CB, 'https://rp.example/other?x=1'],
    });
    await client({
      client_id: 'rp2',
      tenant_id: 'acme',
      grant_types: ['password'],
      scopes: ['openid', 'user'],
      redirect_uris: ['https://rp2.example/out'],
    });
    await client({ client_id: 'gateway', tenant_id: 'acme', grant_types: [GRANT_EXCHANGE], scopes: ['openid', 'profile'] });
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  describe('UserInfo', () => {
    it('is advertised in discovery, and openid-client reads the claims the scopes release', async () => {
      const config = await discover('rp');
      expect(config.serverMetadata().userinfo_endpoint).toBe(`${issuer}/oidc/userinfo`);
      const all = await tokens('rp');
      const claims = await oidc.fetchUserInfo(config, all.access_token, fx.userId);
      expect(claims).toEqual({
        sub: fx.userId,
        name: 'Alice',
        preferred_username: 'alice',
        updated_at: expect.any(Number),
        email: 'alice@example.com',
        email_verified: false,
        phone_number: '+8613800000000',
        phone_number_verified: false,
      });
      expect(claims.updated_at).toBe(Math.floor(claims.updated_at as number));

      const onlyEmail = await tokens('rp', 'openid email');
      expect(await oidc.fetchUserInfo(config, onlyEmail.access_token, fx.userId)).toEqual({
        sub: fx.userId,
        email: 'alice@example.com',
        email_verified: false,
      });
      const bare = await tokens('rp', 'openid user');
      expect(await oidc.fetchUserInfo(config, bare.access_token, fx.userId)).toEqual({ sub: fx.userId });
      const phone = await tokens('rp', 'openid phone');
      expect(await oidc.fetchUserInfo(config, phone.access_token, fx.userId)).toEqual({
        sub: fx.userId,
        phone_number: '+8613800000000',
        phone_number_verified: false,
      });
    });

    it('answers a POST with the bearer header, a form body ignored', async () => {
      const t = await tokens('rp', 'openid profile');
      const r = await form('/oidc/userinfo', { foo: 'bar' }, { authorization: `Bearer ${t.access_token}` });
      expect(r.status).toBe(200);
      const body = JSON.parse(r.text);
      expect(body).toMatchObject({ sub: fx.userId, name: 'Alice', preferred_username: 'alice' });
      expect(body.email).toBeUndefined();
      // The access_token form parameter (RFC 6750 2.2, optional) is not accepted.
      const viaForm = await form('/oidc/userinfo', { access_token: t.access_token });
      expect(viaForm.status).toBe(401);
      expect(viaForm.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('refuses a bad token with 401 and WWW-Authenticate: Bearer error="invalid_token"', async () => {
      for (const token of ['nope', 'a.b.c']) {
        const r = await get(issuer, '/oidc/userinfo', { authorization: `Bearer ${token}` });
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      }
      const none = await get(issuer, '/oidc/userinfo');
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      // CloudBase's user/me keeps its own answer, without the header.
      const cb = await get(issuer, '/auth/v1/user/me', { authorization: 'Bearer nope' });
      expect(cb.status).toBe(401);
      expect(cb.headers.get('www-authenticate')).toBeNull();
    });

    it('answers an exchanged token (act) by its narrowed scopes', async () => {
      const subject = await tokens('rp');
      const r = await form(
        '/auth/v1/token',
        { grant_type: GRANT_EXCHANGE, subject_token: subject.access_token, subject_token_type: AT, scope: 'profile' },
        { authorization: basicAuth('gateway', secrets.gateway) },
      );
      expect(r.status).toBe(200);
      const exchanged = JSON.parse(r.text).access_token as string;
      expect(decodeJwt(exchanged).act).toEqual({ sub: 'gateway' });
      const info = await get(issuer, '/oidc/userinfo', { authorization: `Bearer ${exchanged}` });
      expect(info.status).toBe(200);
      expect(info.body).toMatchObject({ sub: fx.userId, name: 'Alice' });
      expect(info.body.email).toBeUndefined();
    });

    it('answers over gRPC, absent claims unset', async () => {
      const t = await tokens('rp', 'openid email');
      const res = await call<object, Record<string, unknown>>(s.grpc, 'getOidcUserInfo', {}, { authorization: `Bearer ${t.access_token}` });
      expect(res.sub).toBe(fx.userId);
      expect(res.email).toBe('alice@example.com');
      expect(res.name).toBeUndefined();
      const bad = await grpcFailure(call(s.grpc, 'getOidcUserInfo', {}, { authorization: 'Bearer nope' }));
      expect(bad.reason).toBe('unauthenticated');
    });
  });

  describe('introspection', () => {
    it('shows the actor chain of an exchanged token', async () => {
      const subject = await tokens('svc');
      await client({ client_id: 'gw2', tenant_id: 'acme', grant_types: [GRANT_EXCHANGE], scopes: ['openid', 'orders.read'] });
      const r = await form(
        '/auth/v1/token',
        { grant_type: GRANT_EXCHANGE, subject_token: subject.access_token, subject_token_type: AT, scope: 'orders.read' },
        { authorization: basicAuth('gw2', secrets.gw2) },
      );
      expect(r.status).toBe(200);
      const exchanged = JSON.parse(r.text).access_token as string;
      const intro = await form('/auth/v1/introspect', { token: exchanged }, { authorization: basicAuth('svc', fx.secret) });
      expect(intro.status).toBe(200);
      expect(JSON.parse(intro.text)).toMatchObject({ active: true, sub: fx.userId, act: { sub: 'gw2' } });
      const plain = await form('/auth/v1/introspect', { token: subject.access_token }, { authorization: basicAuth('svc', fx.secret) });
      expect(JSON.parse(plain.text).act).toBeUndefined();
    });
  });

  describe('RP-Initiated Logout', () => {
    it('is advertised; a valid hint ends its session at once and shows the signed-out page', async () => {
      const d = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
      expect(d.end_session_endpoint).toBe(`${issuer}/oidc/logout`);
      const t = await tokens('rp');
      expect((await me(t.access_token)).status).toBe(200);
      const res = await logout({ id_token_hint: t.id_token }, { 'accept-language': 'en-US' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.text()).toContain('You are signed out');
      expect((await me(t.access_token)).status).toBe(401);
      const zh = await logout({ id_token_hint: t.id_token }, { 'accept-language': 'zh-CN' });
      expect(zh.status).toBe(200);
      expect(await zh.text()).toContain('已退出登录');
    });

    it('redirects to a registered post_logout_redirect_uri with state (GET and POST)', async () => {
      const t = await tokens('rp');
      const res = await logout({ id_token_hint: t.id_token, post_logout_redirect_uri: CB, state: 's 1&x', client_id: 'rp' });
      expect(res.status).toBe(302);
      const loc = new URL(res.headers.get('location') ?? '');
      expect(`${loc.origin}${loc.pathname}`).toBe(CB);
      expect(loc.searchParams.get('state')).toBe('s 1&x');
      expect((await me(t.access_token)).status).toBe(401);

      const t2 = await tokens('rp');
      const posted = await form('/oidc/logout', { id_token_hint: t2.id_token, post_logout_redirect_uri: 'https://rp.example/other?x=1' });
      expect(posted.status).toBe(302);
      expect(posted.headers.get('location')).toBe('https://rp.example/other?x=1');
      expect((await me(t2.access_token)).status).toBe(401);
    });

    it('never redirects to an unregistered URI, and ends nothing then', async () => {
      const t = await tokens('rp');
      for (const uri of ['https://evil.example/', `${CB}/x`, 'https://rp2.example/out']) {
        const res = await logout({ id_token_hint: t.id_token, post_logout_redirect_uri: uri, state: 'x' });
        expect(res.status).toBe(400);
        expect(res.headers.get('location')).toBeNull();
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(res.headers.get('x-frame-options')).toBe('DENY');
      }
      expect((await me(t.access_token)).status).toBe(200);
    });

    it('refuses a client_id that is not the hint’s audience', async () => {
      const t = await tokens('rp2');
      const res = await logout({ id_token_hint: t.id_token, client_id: 'rp', post_logout_redirect_uri: CB });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect((await me(t.access_token)).status).toBe(200);
      // The hint's own client and its own URI: accepted.
      const ok = await logout({ id_token_hint: t.id_token, client_id: 'rp2', post_logout_redirect_uri: 'https://rp2.example/out' });
      expect(ok.status).toBe(302);
      expect((await me(t.access_token)).status).toBe(401);
    });

    it('refuses a forged or missing hint', async () => {
      const t = await tokens('rp');
      const [h, p] = t.id_token.split('.');
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
      const forgedPayload = Buffer.from(JSON.stringify({ ...claims, sid: 'someone-else' })).toString('base64url');
      for (const hint of [`${h}.${forgedPayload}.${t.id_token.split('.')[2]}`, t.access_token, 'garbage', '']) {
        const res = await logout({ id_token_hint: hint, post_logout_redirect_uri: CB });
        expect(res.status).toBe(400);
        expect(res.headers.get('location')).toBeNull();
      }
      expect((await me(t.access_token)).status).toBe(200);
      // Hostile input is an error page, never a server error.
      const garbled = await fetch(`${issuer}/oidc/logout?id_token_hint=%ZZ`, { redirect: 'manual' });
      expect(garbled.status).toBe(400);
      const json = await fetch(`${issuer}/oidc/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id_token_hint: t.id_token }),
      });
      expect(json.status).toBe(400);
      expect((await me(t.access_token)).status).toBe(200);
    });

    it('accepts an expired hint, and openid-client builds the URL it answers', async () => {
      const t = await tokens('rp');
      const refreshed = t.refresh_token;
      clock.advance(3 * 3600 * 1000);
      expect(decodeJwt(t.id_token).exp! * 1000).toBeLessThan(clock.now());
      const config = await discover('rp');
      const url = oidc.buildEndSessionUrl(config, { id_token_hint: t.id_token, post_logout_redirect_uri: CB, state: 'abc' });
      expect(url.href.startsWith(`${issuer}/oidc/logout?`)).toBe(true);
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`${CB}?state=abc`);
      // The session is over: its refresh token no longer works.
      const r = await form(
        '/auth/v1/token',
        { grant_type: 'refresh_token', refresh_token: refreshed },
        { authorization: basicAuth('rp', secrets.rp) },
      );
      expect(r.status).toBeGreaterThanOrEqual(400);
    });
  });
});
