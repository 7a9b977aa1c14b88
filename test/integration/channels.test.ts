// Sign-in channels on PostgreSQL + Redis: `app` needs a device on every way of signing in, and a
// tenant that allows one login per channel ends the user's other sessions of that channel (web
// and app apart), whichever way the new sign-in came.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPost, call, dropSchema, grpcFailure, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { sid: string };

describe('sign-in channels (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let hook: CodeHook;
  let fx: Awaited<ReturnType<typeof seed>>;
  const signin = (client: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    post(s.http, `/auth/v1/signin?client_id=${client}`, body, headers);
  /** Whether the session's access token still works (a revoked session's stops at once). */
  const alive = async (tokens: { access_token: string }) => {
    const me = await fetch(`${s.http}/auth/v1/user/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    return me.status === 200;
  };
  const codeFor = async (client: string, phone: string, e164: string) => {
    const r = await post(s.http, `/auth/v1/verification?client_id=${client}`, { phone_number: phone, usage: 'sign_in' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return { id: r.body.verification_id as string, code: hook.codeFor(e164) };
  };

  beforeAll(async () => {
    hook = await startCodeHook();
    // Codes may be resent at once here: the tests send several to one phone.
    s = await startTestSignet({
      backend: 'postgres',
      env: { ...hook.env(), SIGNET_CODE_RESEND_SECONDS: '0', SIGNET_IP_FAILURES_CAPTCHA: '0' },
    });
    fx = await seed(s);
    await adminPost(s, '/admin/v1/tenants', {
      tenant_id: 'solo',
      policy: { allow_multiple_login_web: false, allow_multiple_login_app: false },
    });
    const c = await adminPost(s, '/admin/v1/clients', {
      client_id: 'solo-app',
      tenant_id: 'solo',
      public: true,
      grant_types: ['password', 'refresh_token', 'sms'],
      scopes: ['openid', 'user'],
      max_sessions: 10,
    });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    await adminPost(s, '/admin/v1/users', { tenant_id: 'solo', username: 'solo', phone_number: '13700000001', password: 'right-password' });
    await adminPost(s, '/admin/v1/clients', {
      client_id: 'sms-app',
      tenant_id: 'acme',
      public: true,
      grant_types: ['sms'],
      scopes: ['openid', 'user'],
    });
  });
  afterAll(async () => {
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  it('refuses source_type app without a device on SignIn (REST and gRPC) and the password grant', async () => {
    const body = { username: 'alice', password: fx.password, source_type: 'app' };
    const r = await signin('web', body);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'invalid_argument' });
    expect(r.body.details[1].field_violations).toEqual([{ field: 'device_id', description: 'source_type app needs a device_id' }]);
    expect((await grpcFailure(call(s.grpc, 'signIn', { client_id: 'web', ...body }))).reason).toBe('invalid_argument');
    const t = await post(s.http, '/auth/v1/token', { grant_type: 'password', client_id: 'web', ...body });
    expect(t.body.error).toBe('invalid_argument');
    // The device may come as device_id or as the x-device-id header; web needs none.
    expect((await signin('web', { ...body, device_id: 'phone-1' })).status).toBe(200);
    expect((await signin('web', body, { 'x-device-id': 'phone-2' })).status).toBe(200);
    expect((await signin('web', { ...body, source_type: 'web' })).status).toBe(200);
    expect((await signin('web', { ...body, source_type: 'tv', device_id: 'x' })).body.error).toBe('invalid_argument');
  });

  it('refuses source_type app without a device on code sign-in and the SMS grant, without spending the code', async () => {
    const v = await codeFor('web', '+86 13800000000', '+8613800000000');
    const verified = await post(s.http, '/auth/v1/verification/verify?client_id=web', { verification_id: v.id, verification_code: v.code });
    const req = { phone_number: '+86 13800000000', verification_token: verified.body.verification_token, source_type: 'app' };
    expect((await signin('web', req)).body.error).toBe('invalid_argument');
    expect((await signin('web', { ...req, device_id: 'phone-1' })).status).toBe(200);

    const sms = await codeFor('sms-app', '+86 13800000000', '+8613800000000');
    const grant = {
      grant_type: 'sms',
      client_id: 'sms-app',
      phone: '13800000000',
      captcha: sms.code,
      captcha_key: sms.id,
      source_type: 'app',
    };
    expect((await post(s.http, '/auth/v1/token', grant)).body.error).toBe('invalid_argument');
    expect((await post(s.http, '/auth/v1/token', { ...grant, device_id: 'phone-1' })).status).toBe(200);
  });

  it('keeps several sessions per channel by default', async () => {
    const a = await signin('web', { username: 'alice', password: fx.password, source_type: 'web', device_id: 'laptop' });
    const b = await signin('web', { username: 'alice', password: fx.password, source_type: 'web', device_id: 'desktop' });
    expect(await alive(a.body)).toBe(true);
    expect(await alive(b.body)).toBe(true);
  });

  it('ends the other sessions of the channel only, when the tenant allows one login per channel', async () => {
    const web1 = await signin('solo-app', { username: 'solo', password: 'right-password', source_type: 'web', device_id: 'laptop' });
    const app1 = await signin('solo-app', { username: 'solo', password: 'right-password', source_type: 'app', device_id: 'phone' });
    const web2 = await signin('solo-app', { username: 'solo', password: 'right-password', source_type: 'web', device_id: 'desktop' });
    expect([web1.status, app1.status, web2.status]).toEqual([200, 200, 200]);
    expect(await alive(web1.body)).toBe(false);
    expect(await alive(app1.body)).toBe(true);
    expect(await alive(web2.body)).toBe(true);
    const refresh = await post(s.http, '/auth/v1/token', {
      grant_type: 'refresh_token',
      client_id: 'solo-app',
      refresh_token: web1.body.refresh_token,
    });
    expect(refresh.body.error).toBe('invalid_grant');
    const stored = await s.running.deps.storage.sessions.get(claims(web1.body.access_token).sid);
    expect(stored).toMatchObject({ revokeReason: 'channel_replaced', channel: 'web' });

    // The SMS grant obeys the same rule: a new app sign-in ends the app session.
    const sms = await codeFor('solo-app', '13700000001', '+8613700000001');
    const app2 = await post(s.http, '/auth/v1/token', {
      grant_type: 'sms',
      client_id: 'solo-app',
      phone: '13700000001',
      captcha: sms.code,
      captcha_key: sms.id,
      source_type: 'app',
      device_id: 'tablet',
    });
    expect(app2.status, JSON.stringify(app2.body)).toBe(200);
    expect(await alive(app1.body)).toBe(false);
    expect(await alive(app2.body)).toBe(true);
    expect(await alive(web2.body)).toBe(true);
    // Sign-ins that name no channel are neither web nor app: the rule leaves them alone.
    const plain1 = await signin('solo-app', { username: 'solo', password: 'right-password', device_id: 'kiosk-1' });
    const plain2 = await signin('solo-app', { username: 'solo', password: 'right-password', device_id: 'kiosk-2' });
    expect([await alive(plain1.body), await alive(plain2.body)]).toEqual([true, true]);
  });
});
