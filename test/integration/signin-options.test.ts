// GetSignInOptions over REST and gRPC on PostgreSQL + Redis: the captcha decision (the same rule
// the sign-in enforces), unknown usernames answered like known ones, the tenant's login ways per
// channel, and the tenant policy fields behind them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPost, call, dropSchema, get, grpcFailure, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';

const WAYS = [
  {
    app_code: 'wechat',
    app_name: 'WeChat',
    app_image: 'https://img.example/wechat.png',
    channel: 'web',
    authorize_url: 'https://open.example/wechat',
  },
  { app_code: 'apple', app_name: 'Apple', app_image: '', channel: 'app', authorize_url: '' },
  { app_code: 'sso', app_name: 'Corporate SSO', app_image: '', channel: '', authorize_url: '/sso/start' },
];

describe('GetSignInOptions (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  const options = (query: string, headers: Record<string, string> = {}) => get(s.http, `/auth/v1/signin/options?${query}`, headers);
  const fail = (client: string, username: string, headers: Record<string, string> = {}) =>
    post(s.http, `/auth/v1/signin?client_id=${client}`, { username, password: 'wrong' }, headers);

  beforeAll(async () => {
    // 127.0.0.1 is a trusted proxy, so each test names its client IP in x-forwarded-for.
    s = await startTestSignet({
      backend: 'postgres',
      env: { SIGNET_TRUSTED_PROXIES: '127.0.0.1', SIGNET_IP_FAILURES_CAPTCHA: '3', SIGNET_IP_FAILURES_BLOCK: '0' },
    });
    await seed(s);
    const t = await adminPost(s, '/admin/v1/tenants', {
      tenant_id: 'opt',
      policy: { captcha_after_failures: 2, open_login_ways: { ways: WAYS } },
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    await adminPost(s, '/admin/v1/clients', { client_id: 'opt-web', tenant_id: 'opt', public: true });
    await adminPost(s, '/admin/v1/users', { tenant_id: 'opt', username: 'known', password: 'right-password' });
    await adminPost(s, '/admin/v1/tenants', { tenant_id: 'always', policy: { always_captcha: true } });
    await adminPost(s, '/admin/v1/clients', { client_id: 'always-web', tenant_id: 'always', public: true });
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('answers the login ways of the channel asked, over REST and gRPC alike', async () => {
    const web = await options('client_id=opt-web&channel=web', { 'x-forwarded-for': '198.51.100.1' });
    expect(web.status).toBe(200);
    expect(web.body).toEqual({ is_need_captcha: false, open_login_ways: [WAYS[0], WAYS[2]] });
    expect((await options('client_id=opt-web&channel=android')).body.open_login_ways).toEqual([WAYS[1], WAYS[2]]);
    expect((await options('client_id=opt-web')).body.open_login_ways).toEqual(WAYS);
    const g = await call<object, any>(s.grpc, 'getSignInOptions', { client_id: 'opt-web', channel: 'pc' });
    expect(g).toEqual({ is_need_captcha: false, open_login_ways: [WAYS[0], WAYS[2]] });
    expect((await options('client_id=web')).body).toEqual({ is_need_captcha: false, open_login_ways: [] });
  });

  it("needs a captcha after the tenant's failures, for known and unknown usernames alike", async () => {
    const ip = { 'x-forwarded-for': '198.51.100.2' };
    const need = async (username: string) => (await options(`client_id=opt-web&username=${username}`, ip)).body.is_need_captcha;
    expect([await need('known'), await need('stranger')]).toEqual([false, false]);
    await fail('opt-web', 'known', { 'x-forwarded-for': '198.51.100.20' });
    await fail('opt-web', 'stranger', { 'x-forwarded-for': '198.51.100.21' });
    expect([await need('known'), await need('stranger')]).toEqual([false, false]);
    await fail('opt-web', 'known', { 'x-forwarded-for': '198.51.100.20' });
    await fail('opt-web', 'stranger', { 'x-forwarded-for': '198.51.100.21' });
    expect([await need('known'), await need('stranger'), await need('someone-else')]).toEqual([true, true, false]);
    // The identifier is read as the sign-in reads it: the same account by another spelling.
    expect(await need('KNOWN')).toBe(true);
    // And the sign-in agrees.
    const r = await post(s.http, '/auth/v1/signin?client_id=opt-web', { username: 'known', password: 'right-password' }, ip);
    expect(r.body.error).toBe('captcha_required');
    const g = await call<object, any>(s.grpc, 'getSignInOptions', { client_id: 'opt-web', username: 'stranger' });
    expect(g.is_need_captcha).toBe(true);
  });

  it('needs a captcha always under always_captcha, and from an IP with many failures', async () => {
    expect((await options('client_id=always-web', { 'x-forwarded-for': '198.51.100.3' })).body.is_need_captcha).toBe(true);
    const ip = { 'x-forwarded-for': '198.51.100.4' };
    for (let i = 0; i < 3; i++) await fail('web', `ip-victim-${i}`, ip);
    expect((await options('client_id=web&username=alice', ip)).body.is_need_captcha).toBe(true);
    expect((await options('client_id=web', ip)).body.is_need_captcha).toBe(true);
    expect((await options('client_id=web&username=alice', { 'x-forwarded-for': '198.51.100.5' })).body.is_need_captcha).toBe(false);
  });

  it('refuses unknown clients and channels', async () => {
    expect(await options('client_id=ghost')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await options('client_id=web&channel=tv')).toMatchObject({ status: 400, body: { error: 'invalid_argument' } });
    const g = await grpcFailure(call(s.grpc, 'getSignInOptions', { client_id: 'web', user_type: 'X' }));
    expect(g).toMatchObject({ code: 3, reason: 'invalid_argument' });
  });

  it('keeps the channel policy and the login ways in the tenant, and refuses unsafe ways', async () => {
    const t = await adminPost(s, '/admin/v1/tenants/opt', { policy: { allow_multiple_login_web: false } }, 'PATCH');
    expect(t.body.policy).toMatchObject({ allow_multiple_login_web: false, captcha_after_failures: 2, open_login_ways: { ways: WAYS } });
    expect(t.body.policy.allow_multiple_login_app).toBeUndefined();
    const cleared = await adminPost(s, '/admin/v1/tenants/always', { policy: { open_login_ways: { ways: [WAYS[0]] } } }, 'PATCH');
    expect(cleared.body.policy.open_login_ways).toEqual({ ways: [WAYS[0]] });
    const hzeroChannel = await adminPost(
      s,
      '/admin/v1/tenants/always',
      { policy: { open_login_ways: { ways: [{ ...WAYS[1], channel: 'ios' }] } } },
      'PATCH',
    );
    expect(hzeroChannel.body.policy.open_login_ways.ways[0].channel).toBe('app');
    for (const bad of [
      { ...WAYS[0], authorize_url: 'javascript:alert(1)' },
      { ...WAYS[0], app_image: '//evil.example/x.png' },
      { ...WAYS[0], channel: 'tv' },
      { ...WAYS[0], app_code: '' },
    ]) {
      const r = await adminPost(s, '/admin/v1/tenants/always', { policy: { open_login_ways: { ways: [bad] } } }, 'PATCH');
      expect(r, JSON.stringify(bad)).toMatchObject({ status: 400, body: { error: 'invalid_argument' } });
    }
    const twice = await adminPost(s, '/admin/v1/tenants/always', { policy: { open_login_ways: { ways: [WAYS[0], WAYS[0]] } } }, 'PATCH');
    expect(twice.status).toBe(400);
  });
});
