// The device authorization grant (RFC 8628) without a hosted page: openid-client starts it and
// polls, the user approves through /auth/v1/user/device/authorize with their bearer token. The
// server's clock is a FakeClock, so pending, slow_down and expiry need no sleeping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { adminPost, call, dropSchema, grpcFailure, post, seed, startTestSignet, freePort, type TestSignet } from '../helpers/signet.js';
import { FakeClock } from '../helpers/clock.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

async function form(base: string, path: string, params: Record<string, string>) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

describe('device authorization grant (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  let issuer: string;
  const clock = FakeClock.midMinute();

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    s = await startTestSignet({ backend: 'postgres', clock, env: { SIGNET_HTTP_PORT: String(port), SIGNET_ISSUER: issuer } });
    fx = await seed(s);
    const tv = await adminPost(s, '/admin/v1/clients', {
      client_id: 'tv',
      tenant_id: 'acme',
      public: true,
      grant_types: [GRANT, 'refresh_token'],
      scopes: ['openid', 'user', 'profile'],
    });
    expect(tv.status).toBe(200);
    const bob = await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username: 'bob', password: fx.password });
    expect(bob.status).toBe(200);
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  async function userToken(username = 'alice'): Promise<string> {
    const r = await post(s.http, '/auth/v1/signin?client_id=web', { username, password: fx.password });
    expect(r.status).toBe(200);
    return r.body.access_token;
  }

  const startDevice = async () => {
    const r = await form(s.http, '/auth/v1/device/code', { client_id: 'tv', scope: 'openid user' });
    expect(r.status).toBe(200);
    return r.body as { device_code: string; user_code: string; interval: number; expires_in: number };
  };
  const poll = (deviceCode: string) => form(s.http, '/auth/v1/token', { grant_type: GRANT, client_id: 'tv', device_code: deviceCode });
  const decide = (token: string, body: Record<string, string>) =>
    post(s.http, '/auth/v1/user/device/authorize', body, { authorization: `Bearer ${token}` });

  it('runs with openid-client: initiate, the user approves, the poll gets tokens for that user, once', async () => {
    const config = await oidc.discovery(new URL(issuer), 'tv', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    expect(config.serverMetadata().device_authorization_endpoint).toBe(`${issuer}/auth/v1/device/code`);
    const da = await oidc.initiateDeviceAuthorization(config, { scope: 'openid user' });
    expect(da.user_code).toMatch(USER_CODE);
    expect(da.verification_uri).toBe(`${issuer}/device`);
    expect(da.verification_uri_complete).toBe(`${issuer}/device?user_code=${da.user_code}`);
    expect(da.expires_in).toBe(600);
    expect(da.interval).toBe(5);

    // Typed as a person would: lower case, no hyphen.
    const approved = await decide(await userToken(), { user_code: da.user_code.replace('-', '').toLowerCase(), state: 'st' });
    expect(approved.status).toBe(200);
    expect(approved.body).toEqual({ state: 'st', status: 'approved', client_id: 'tv' });

    // The server keeps the time: the client need not wait for real.
    const tokens = await oidc.pollDeviceAuthorizationGrant(config, { ...da, interval: 0 });
    expect(tokens.access_token).toMatch(/^ey/);
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.claims()?.sub).toBe(fx.userId);
    expect(tokens.scope).toBe('openid user');

    // Single use.
    clock.advance(10_000);
    const again = await poll(da.device_code);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
  });

  it('answers authorization_pending, then slow_down when polled too soon, the interval growing by 5 s', async () => {
    const d = await startDevice();
    const first = await poll(d.device_code);
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('authorization_pending');
    const soon = await poll(d.device_code);
    expect(soon.status).toBe(400);
    expect(soon.body.error).toBe('slow_down');
    // The interval is now 10 s: 6 s later is still too soon, and grows it to 15 s.
    clock.advance(6_000);
    expect((await poll(d.device_code)).body.error).toBe('slow_down');
    clock.advance(15_000);
    expect((await poll(d.device_code)).body.error).toBe('authorization_pending');
  });

  it('answers access_denied once the user denied, and forgets the user code', async () => {
    const d = await startDevice();
    const token = await userToken();
    const denied = await decide(token, { user_code: d.user_code, action: 'deny' });
    expect(denied.status).toBe(200);
    expect(denied.body.status).toBe('denied');
    const r = await poll(d.device_code);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('access_denied');
    const late = await decide(token, { user_code: d.user_code });
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');
  });

  it('answers expired_token after the device code expired, to the device and to the user', async () => {
    const d = await startDevice();
    clock.advance(601_000);
    const r = await poll(d.device_code);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('expired_token');
    const late = await decide(await userToken(), { user_code: d.user_code });
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('expired_token');
  });

  it('serves the token step over gRPC, and the device request as JSON', async () => {
    const r = await post(s.http, '/auth/v1/device/code', { client_id: 'tv' });
    expect(r.status).toBe(200);
    const d = r.body;
    expect(d.user_code).toMatch(USER_CODE);
    const pending = await grpcFailure(call(s.grpc, 'token', { grant_type: GRANT, client_id: 'tv', device_code: d.device_code }));
    expect(pending.reason).toBe('authorization_pending');
    expect(pending.code).toBe(9);
    expect((await decide(await userToken('bob'), { user_code: d.user_code })).status).toBe(200);
    clock.advance(5_000);
    const t = await call<object, { access_token: string; scope: string }>(s.grpc, 'token', {
      grant_type: GRANT,
      client_id: 'tv',
      device_code: d.device_code,
    });
    expect(t.access_token).toMatch(/^ey/);
    // All of the client's scopes when none was asked for.
    expect(t.scope.split(' ').sort()).toEqual(['openid', 'profile', 'user']);
  });

  it('refuses a client without the device grant, at the device endpoint and at the token endpoint', async () => {
    const r = await form(s.http, '/auth/v1/device/code', { client_id: 'web' });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('permission_denied');
    const d = await startDevice();
    const other = await form(s.http, '/auth/v1/token', { grant_type: GRANT, client_id: 'web', device_code: d.device_code });
    expect(other.status).toBe(403);
    expect(other.body.error).toBe('permission_denied');
  });

  it('refuses an approval without a bearer token', async () => {
    const d = await startDevice();
    const r = await post(s.http, '/auth/v1/user/device/authorize', { user_code: d.user_code });
    expect(r.status).toBe(401);
  });

  it('counts wrong user codes and refuses the user after five, even the right code', async () => {
    // A new window: every code the tests above tried from this IP counted too.
    clock.advance(900_000);
    const d = await startDevice();
    const token = await userToken('bob');
    for (const code of ['BBBB-BBBB', 'CCCC-CCCC', 'nope', 'DDDD-DDDD', 'FFFF-FFFF']) {
      const r = await decide(token, { user_code: code });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_grant');
    }
    const refused = await decide(token, { user_code: d.user_code });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('resource_exhausted');
    // Another user is not held back.
    expect((await decide(await userToken(), { user_code: d.user_code })).status).toBe(200);
  });
});
