// Token introspection (RFC 7662): openid-client through discovery, raw form and JSON bodies, gRPC,
// and every way a token stops being active.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import type { AuthServiceClient } from '../../src/gen/signet/auth/v1/auth_service.js';
import type { IntrospectResponse } from '../../src/gen/signet/auth/v1/token.js';
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
  basicAuth,
  type TestSignet,
} from '../helpers/signet.js';
import { FakeClock } from '../helpers/clock.js';
import { withPg } from '../helpers/db.js';

async function form(base: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/auth/v1/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
}

describe('token introspection (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  let issuer: string;
  // Expiry is decided by the test: the domain's clock moves only when told.
  const clock = FakeClock.midMinute();
  /** The resource server: a confidential client of acme with no grant of its own besides one. */
  let rsSecret: string;
  let otherSecret: string;

  const signin = async (username = 'alice', clientId = 'web') => {
    const r = await post(s.http, `/auth/v1/signin?client_id=${clientId}`, { username, password: fx.password });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { access_token: string; refresh_token: string; sub: string };
  };
  /** Introspects as the resource server (client_secret_basic, form body). */
  const ask = (token: string, extra: Record<string, string> = {}) =>
    form(s.http, { token, ...extra }, { authorization: basicAuth('rs', rsSecret) });

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    s = await startTestSignet({ backend: 'postgres', clock, env: { SIGNET_HTTP_PORT: String(port), SIGNET_ISSUER: issuer } });
    fx = await seed(s);
    const rs = await adminPost(s, '/admin/v1/clients', {
      client_id: 'rs',
      tenant_id: 'acme',
      grant_types: ['client_credentials'],
      scopes: [],
    });
    expect(rs.status, JSON.stringify(rs.body)).toBe(200);
    rsSecret = rs.body.client_secret;
    // Another tenant with its own resource server and users.
    await adminPost(s, '/admin/v1/tenants', { tenant_id: 'other', name: 'Other' });
    const other = await adminPost(s, '/admin/v1/clients', {
      client_id: 'other-rs',
      tenant_id: 'other',
      grant_types: ['password', 'refresh_token'],
      scopes: ['openid', 'user'],
    });
    otherSecret = other.body.client_secret;
    await adminPost(s, '/admin/v1/clients', {
      client_id: 'other-web',
      tenant_id: 'other',
      public: true,
      grant_types: ['password', 'refresh_token'],
      scopes: ['openid', 'user'],
    });
    await adminPost(s, '/admin/v1/users', { tenant_id: 'other', username: 'olga', password: fx.password });
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  describe('openid-client, through discovery', () => {
    it('advertises the endpoint and introspects an access token and a refresh token', async () => {
      const meta = (await get(s.http, '/.well-known/openid-configuration')).body;
      expect(meta.introspection_endpoint).toBe(`${issuer}/auth/v1/introspect`);
      expect(meta.introspection_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post']);
      const t = await signin();
      for (const auth of [oidc.ClientSecretBasic(rsSecret), oidc.ClientSecretPost(rsSecret)]) {
        const config = await oidc.discovery(new URL(issuer), 'rs', undefined, auth, { execute: [oidc.allowInsecureRequests] });
        const at = await oidc.tokenIntrospection(config, t.access_token);
        expect(at).toMatchObject({
          active: true,
          token_type: 'Bearer',
          client_id: 'web',
          aud: 'web',
          sub: fx.userId,
          iss: issuer,
          scope: 'openid user',
        });
        expect(at.exp).toBeGreaterThan(Math.floor(clock.now() / 1000));
        expect(at.iat).toBeLessThanOrEqual(Math.floor(clock.now() / 1000));
        expect(typeof at.jti).toBe('string');
        expect(typeof at.sid).toBe('string');
        const rt = await oidc.tokenIntrospection(config, t.refresh_token, { token_type_hint: 'refresh_token' });
        expect(rt).toMatchObject({
          active: true,
          token_type: 'refresh_token',
          client_id: 'web',
          username: 'alice',
          sub: fx.userId,
          sid: at.sid,
          scope: 'openid user',
          iss: issuer,
        });
        expect(rt.exp).toBeGreaterThan(at.exp!);
      }
    });
  });

  describe('the wire', () => {
    it('answers form and JSON bodies alike, and an inactive token exactly {"active":false}', async () => {
      const t = await signin();
      const viaForm = await form(s.http, { token: t.access_token, client_id: 'rs', client_secret: rsSecret });
      expect(viaForm.status).toBe(200);
      const viaJson = await post(s.http, '/auth/v1/introspect', { token: t.access_token }, { authorization: basicAuth('rs', rsSecret) });
      expect(viaJson.status).toBe(200);
      expect(viaJson.body).toEqual(viaForm.body);
      expect(viaJson.body.active).toBe(true);
      const dead = await ask('garbage');
      expect(dead).toMatchObject({ status: 200, text: '{"active":false}' });
      const deadJwt = await ask(`${t.access_token.slice(0, -4)}AAAA`);
      expect(deadJwt.text).toBe('{"active":false}');
      expect((await ask('')).text).toBe('{"active":false}');
    });

    it('answers over gRPC, with unset fields left out', async () => {
      const t = await signin();
      const md = { authorization: basicAuth('rs', rsSecret) };
      const live = await call<object, IntrospectResponse>(s.grpc as AuthServiceClient, 'introspect', { token: t.access_token }, md);
      expect(live).toMatchObject({ active: true, token_type: 'Bearer', client_id: 'web', sub: fx.userId });
      const viaFields = await call<object, IntrospectResponse>(s.grpc, 'introspect', {
        token: t.refresh_token,
        client_id: 'rs',
        client_secret: rsSecret,
      });
      expect(viaFields).toMatchObject({ active: true, token_type: 'refresh_token', username: 'alice' });
      const dead = await call<object, IntrospectResponse>(s.grpc, 'introspect', { token: 'garbage' }, md);
      expect(dead.active).toBe(false);
      expect(dead.sub).toBeUndefined();
      expect(dead.exp).toBeUndefined();
      const refused = await grpcFailure(call(s.grpc, 'introspect', { token: t.access_token, client_id: 'web' }));
      expect(refused.reason).toBe('unauthorized_client');
    });

    it('introspects a client_credentials token (no session, no user)', async () => {
      const r = await fetch(`${s.http}/auth/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth('svc', fx.secret) },
        body: 'grant_type=client_credentials&scope=orders.read',
      });
      const t = (await r.json()) as { access_token: string };
      const i = await ask(t.access_token);
      expect(i.body).toMatchObject({ active: true, client_id: 'svc', sub: 'svc', scope: 'orders.read', token_type: 'Bearer' });
      expect(i.body.sid).toBeUndefined();
      expect(i.body.username).toBeUndefined();
    });
  });

  describe('who may ask', () => {
    it('refuses a public client, a wrong secret and an unknown client as the token endpoint does', async () => {
      const t = await signin();
      const pub = await form(s.http, { token: t.access_token, client_id: 'web' });
      expect(pub.status).toBe(401);
      expect(pub.body.error).toBe('unauthorized_client');
      const wrong = await form(s.http, { token: t.access_token }, { authorization: basicAuth('rs', 'not-the-secret') });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('unauthorized_client');
      const missing = await form(s.http, { token: t.access_token, client_id: 'rs' });
      expect(missing.body.error).toBe('unauthorized_client');
      const unknown = await form(s.http, { token: t.access_token, client_id: 'nobody', client_secret: 'x' });
      expect(unknown.body.error).toBe('invalid_client');
      const none = await form(s.http, { token: t.access_token });
      expect(none.body.error).toBe('invalid_client');
      // The refusal of a client authentication is audited, as at the token endpoint.
      await s.running.deps.audit.flush();
      const rows = await withPg((c) =>
        c.query(`SELECT reason, detail FROM "${s.schema}".audit_events WHERE event = 'introspect_failed' AND client_id = 'rs'`),
      );
      expect(rows.rows.map((r: { detail: string }) => r.detail)).toContain('client_secret_wrong');
    });

    it('answers a token of another tenant inactive, both ways', async () => {
      const mine = await signin();
      const theirs = await signin('olga', 'other-web');
      expect((await ask(theirs.access_token)).text).toBe('{"active":false}');
      expect((await ask(theirs.refresh_token)).text).toBe('{"active":false}');
      const otherAsks = (token: string) => form(s.http, { token }, { authorization: basicAuth('other-rs', otherSecret) });
      expect((await otherAsks(mine.access_token)).text).toBe('{"active":false}');
      expect((await otherAsks(theirs.access_token)).body.active).toBe(true);
    });
  });

  describe('inactive at once', () => {
    it('after sign-out and after revocation, both tokens', async () => {
      const a = await signin();
      expect((await ask(a.access_token)).body.active).toBe(true);
      expect((await post(s.http, '/auth/v1/user/signout', {}, { authorization: `Bearer ${a.access_token}` })).status).toBe(200);
      expect((await ask(a.access_token)).text).toBe('{"active":false}');
      expect((await ask(a.refresh_token)).text).toBe('{"active":false}');
      const b = await signin();
      const rv = await fetch(`${s.http}/auth/v1/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: b.refresh_token, token_type_hint: 'refresh_token', client_id: 'web' }).toString(),
      });
      expect(rv.status).toBe(200);
      expect((await ask(b.access_token)).text).toBe('{"active":false}');
      expect((await ask(b.refresh_token)).text).toBe('{"active":false}');
    });

    it('when an admin disables the user', async () => {
      const u = await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username: 'bob', password: fx.password });
      const t = await signin('bob');
      expect((await ask(t.access_token)).body.active).toBe(true);
      expect((await adminPost(s, `/admin/v1/users/${u.body.user_id}:disable`, {})).status).toBe(200);
      expect((await ask(t.access_token)).text).toBe('{"active":false}');
      expect((await ask(t.refresh_token)).text).toBe('{"active":false}');
    });

    it('when the token’s client is disabled', async () => {
      await adminPost(s, '/admin/v1/clients', {
        client_id: 'doomed',
        tenant_id: 'acme',
        public: true,
        grant_types: ['password', 'refresh_token'],
        scopes: ['openid', 'user'],
      });
      const t = await signin('alice', 'doomed');
      expect((await ask(t.access_token)).body.active).toBe(true);
      expect((await adminPost(s, '/admin/v1/clients/doomed:disable', {})).status).toBe(200);
      expect((await ask(t.access_token)).text).toBe('{"active":false}');
      expect((await ask(t.refresh_token)).text).toBe('{"active":false}');
    });

    it('when the tenant is disabled (its resource server is told every token is inactive)', async () => {
      await adminPost(s, '/admin/v1/tenants', { tenant_id: 'closing', name: 'Closing' });
      const rs = await adminPost(s, '/admin/v1/clients', {
        client_id: 'closing-rs',
        tenant_id: 'closing',
        grant_types: ['password', 'refresh_token'],
        scopes: ['openid', 'user'],
      });
      await adminPost(s, '/admin/v1/users', { tenant_id: 'closing', username: 'carl', password: fx.password });
      const auth = { authorization: basicAuth('closing-rs', rs.body.client_secret) };
      const t = await fetch(`${s.http}/auth/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
        body: new URLSearchParams({ grant_type: 'password', username: 'carl', password: fx.password }).toString(),
      }).then((r) => r.json() as Promise<{ access_token: string }>);
      expect((await form(s.http, { token: t.access_token }, auth)).body.active).toBe(true);
      expect((await adminPost(s, '/admin/v1/tenants/closing:disable', {})).status).toBe(200);
      expect((await form(s.http, { token: t.access_token }, auth)).text).toBe('{"active":false}');
      // The secret is still checked first.
      const wrong = await form(s.http, { token: t.access_token }, { authorization: basicAuth('closing-rs', 'nope') });
      expect(wrong.body.error).toBe('unauthorized_client');
    });

    it('once expired (access token by its exp, refresh token by its own)', async () => {
      const t = await signin();
      expect((await ask(t.access_token)).body.active).toBe(true);
      const ttl = (await ask(t.access_token)).body.exp - Math.floor(clock.now() / 1000);
      clock.advance((ttl + 120) * 1000);
      expect((await ask(t.access_token)).text).toBe('{"active":false}');
      expect((await ask(t.refresh_token)).body.active).toBe(true);
      const rtExp = (await ask(t.refresh_token)).body.exp;
      clock.advance((rtExp - Math.floor(clock.now() / 1000) + 1) * 1000);
      expect((await ask(t.refresh_token)).text).toBe('{"active":false}');
    });
  });

  describe('refresh tokens and rotation', () => {
    it('a rotated token is active only within the grace window, while its successor is live', async () => {
      const t0 = await signin();
      const t1 = await fetch(`${s.http}/auth/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'web', refresh_token: t0.refresh_token }).toString(),
      }).then((r) => r.json() as Promise<{ refresh_token: string; access_token: string }>);
      expect((await ask(t0.refresh_token)).body.active).toBe(true);
      expect((await ask(t1.refresh_token)).body.active).toBe(true);
      clock.advance((s.running.deps.settings.refreshGraceSeconds + 1) * 1000);
      expect((await ask(t0.refresh_token)).text).toBe('{"active":false}');
      expect((await ask(t1.refresh_token)).body.active).toBe(true);
      // Introspection has no side effect: asking about the replayed token did not end the session.
      expect((await ask(t1.access_token)).body.active).toBe(true);
    });
  });
});
