// HZERO's pre-login endpoints and SMS sign-in on PostgreSQL + Redis: init params, the image
// captcha, the SMS code (delivered through the signed webhook sender) and /oauth/token/mobile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPost, dropSchema, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { postForm, withQuery } from '../helpers/hzero.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const NO_TOKEN = { accessToken: null, refreshToken: null, expiresIn: null, scope: null };

describe('HZERO public endpoints and SMS sign-in (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let hook: CodeHook;
  let phones = 0;
  const get = (path: string, params: Record<string, string>, headers: Record<string, string> = {}) =>
    withQuery(s, 'GET', path, params, headers);
  const sendCode = (phone: string, extra: Record<string, string> = {}) =>
    get('/oauth/public/send-phone-captcha', { client_id: 'app', phone, ...extra });
  const mobile = (params: Record<string, string>) =>
    postForm(s, '/oauth/token/mobile', { grant_type: 'implicit', client_id: 'app', source_type: 'app', device_id: 'phone-1', ...params });
  /** A user with a phone of its own, so that no two tests share a resend window. */
  const userWithPhone = async () => {
    const local = `137${String(20_000_000 + ++phones * 7919).padStart(8, '0')}`;
    const u = await adminPost(s, '/admin/v1/users', {
      tenant_id: 'acme',
      username: `m${phones}`,
      phone_number: local,
      password: 'x-password-1',
    });
    expect(u.status).toBe(200);
    return { id: u.body.user_id as string, local, e164: `+86${local}` };
  };

  beforeAll(async () => {
    hook = await startCodeHook();
    s = await startTestSignet({
      backend: 'postgres',
      env: { ...hook.env(), SIGNET_IP_FAILURES_CAPTCHA: '0', SIGNET_IP_FAILURES_BLOCK: '0' },
    });
    await seed(s);
    const app = await adminPost(s, '/admin/v1/clients', {
      client_id: 'app',
      tenant_id: 'acme',
      public: true,
      grant_types: ['sms', 'refresh_token'],
      scopes: ['openid', 'user'],
    });
    expect(app.status).toBe(200);
    const ways = [
      { app_code: 'wechat', app_name: 'WeChat', app_image: 'https://img.example/wechat.png', channel: 'pc', authorize_url: '' },
      { app_code: 'dingtalk', app_name: 'DingTalk', app_image: '/static/dingtalk.png', channel: '', authorize_url: '' },
      { app_code: 'wechat-app', app_name: 'WeChat', app_image: '', channel: 'ios', authorize_url: '' },
    ];
    const t = await adminPost(s, '/admin/v1/tenants/acme', { policy: { open_login_ways: { ways } } }, 'PATCH');
    expect(t.status, JSON.stringify(t.body)).toBe(200);
  });
  afterAll(async () => {
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  it("answers init-params in HZERO's names, the login ways of the channel asked", async () => {
    const pc = await get('/oauth/login/init-params', { client_id: 'web', username: 'alice', channel: 'pc' });
    expect(pc.status).toBe(200);
    expect(pc.body).toEqual({
      isNeedCaptcha: false,
      openLoginWays: [
        {
          openAppId: 1,
          channel: 'pc',
          appCode: 'wechat',
          appName: 'WeChat',
          appImage: 'https://img.example/wechat.png',
          scope: null,
          orderSeq: 1,
        },
        { openAppId: 2, channel: '', appCode: 'dingtalk', appName: 'DingTalk', appImage: '/static/dingtalk.png', scope: null, orderSeq: 2 },
      ],
    });
    const ios = await get('/oauth/login/init-params', { client_id: 'web', channel: 'ios' });
    expect(ios.body.openLoginWays.map((w: { appCode: string }) => w.appCode)).toEqual(['dingtalk', 'wechat-app']);
    const bad = await get('/oauth/login/init-params', { client_id: 'ghost', lang: 'en_US' });
    expect(bad).toMatchObject({ status: 401, body: { success: false, code: 'hoth.warn.clientNotFound', message: 'Client not found.' } });
  });

  it('tells when the next sign-in needs a captcha, the same for unknown usernames', async () => {
    await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username: 'opts-user', password: 'right-password' });
    const need = async (username: string) => (await get('/oauth/login/init-params', { client_id: 'web', username })).body.isNeedCaptcha;
    const fail = (username: string) =>
      postForm(s, '/oauth/oauth/token', { grant_type: 'password', client_id: 'web', username, password: 'wrong' });
    expect([await need('opts-user'), await need('opts-ghost')]).toEqual([false, false]);
    for (let i = 0; i < 3; i++) {
      await fail('opts-user');
      await fail('opts-ghost');
    }
    expect([await need('opts-user'), await need('opts-ghost'), await need('alice')]).toEqual([true, true, false]);
  });

  it('makes a captcha key and serves its picture as an uncached PNG, as often as asked', async () => {
    const r = await get('/oauth/public/captcha-code', {});
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      captchaKey: expect.stringMatching(/^[0-9a-f]{32}$/),
      success: true,
      captcha: null,
      code: null,
      message: null,
      interval: 0,
      errorTimes: 0,
      surplusTimes: 0,
    });
    const image = async () => {
      const res = await fetch(`${s.http}/oauth/public/captcha/${r.body.captchaKey}`);
      return { res, bytes: Buffer.from(await res.arrayBuffer()) };
    };
    const first = await image();
    expect(first.res.status).toBe(200);
    expect(first.res.headers.get('content-type')).toBe('image/png');
    expect(first.res.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    expect(first.res.headers.get('pragma')).toBe('no-cache');
    expect(first.res.headers.get('expires')).toBe('0');
    expect(first.bytes.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect((await image()).bytes).toEqual(first.bytes);
    const gone = await fetch(`${s.http}/oauth/public/captcha/${'0'.repeat(32)}`);
    expect(gone.status).toBe(404);
    expect((await fetch(`${s.http}/oauth/public/captcha/not-a-key`)).status).toBe(404);
  });

  it('sends an SMS code and signs in with it on /oauth/token/mobile', async () => {
    const u = await userWithPhone();
    const sent = await sendCode(u.local);
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({
      success: true,
      code: 'captcha.send.phone',
      message: '验证码已发送',
      captchaKey: expect.stringMatching(/^[0-9a-f]{32}$/),
      interval: 60,
    });
    expect(hook.deliveries.at(-1)).toMatchObject({ channel: 'sms', to: u.e164, usage: 'sign_in', tenant_id: 'acme' });
    const r = await mobile({ phone: u.local, captchaKey: sent.body.captchaKey, captcha: hook.codeFor(u.e164) });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      success: true,
      code: null,
      message: null,
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      expiresIn: 7200,
      scope: 'openid user',
    });
    const me = await fetch(`${s.http}/auth/v1/user/me`, { headers: { authorization: `Bearer ${r.body.accessToken}` } });
    expect((await me.json()).sub).toBe(u.id);
  });

  it("answers send failures in HZERO's keys: interval, unknown phone, malformed phone", async () => {
    const u = await userWithPhone();
    expect((await sendCode(u.local, { internationalTelCode: '+86' })).body.success).toBe(true);
    const again = await sendCode(`+86${u.local}`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({
      success: false,
      code: 'captcha.send.interval',
      message: expect.stringMatching(/^请(59|60)秒后再发送验证码$/),
      captchaKey: null,
      interval: expect.any(Number),
    });
    expect(again.body.message).toBe(`请${again.body.interval}秒后再发送验证码`);
    expect((await sendCode('13911112222')).body).toEqual({
      success: false,
      code: 'hoth.warn.phoneNotFound',
      message: '您输入的手机号未注册',
      captchaKey: null,
      interval: 0,
    });
    expect((await sendCode('12', { lang: 'en_US' })).body).toEqual({
      success: false,
      code: 'phone.format.incorrect',
      message: 'The phone number is malformed.',
      captchaKey: null,
      interval: 0,
    });
  });

  it('answers mobile sign-in failures with HTTP 200 and the catalogue key', async () => {
    const u = await userWithPhone();
    const sent = await sendCode(u.local);
    const code = hook.codeFor(u.e164);
    const wrong = await mobile({ phone: u.local, captchaKey: sent.body.captchaKey, captcha: code === '000000' ? '000001' : '000000' });
    expect(wrong).toMatchObject({ status: 200 });
    expect(wrong.body).toEqual({
      success: false,
      code: 'hoth.warn.captchaWrong',
      message: '您输入的验证码有误，还可以尝试4次',
      ...NO_TOKEN,
    });
    const empty = await mobile({ phone: u.local, captchaKey: sent.body.captchaKey, captcha: '' });
    expect(empty.body).toEqual({ success: false, code: 'hoth.warn.loginMobileCaptchaNull', message: '请输入手机验证码', ...NO_TOKEN });
    const unknownKey = await mobile({ phone: u.local, captchaKey: 'f'.repeat(32), captcha: code });
    expect(unknownKey.body).toEqual({ success: false, code: 'captcha.validate.overdue', message: '验证码失效，请重新获取', ...NO_TOKEN });
    const noDevice = await mobile({ phone: u.local, captchaKey: sent.body.captchaKey, captcha: code, device_id: '' });
    expect(noDevice.body).toMatchObject({ success: false, code: 'invalid_argument' });
    // A code sent to a number nobody has (CloudBase's target ANY) cannot sign in: phoneNotFound.
    const stranger = await post(s.http, '/auth/v1/verification?client_id=app', { phone_number: '+86 13922223333', target: 'ANY' });
    const unknown = await mobile({
      phone: '13922223333',
      captchaKey: stranger.body.verification_id,
      captcha: hook.codeFor('+8613922223333'),
    });
    expect(unknown.body).toEqual({ success: false, code: 'hoth.warn.phoneNotFound', message: '您输入的手机号未注册', ...NO_TOKEN });
    const grant = await mobile({ grant_type: 'password', phone: u.local });
    expect(grant.body).toMatchObject({ success: false, code: 'unsupported_grant_type' });
  });
});

describe('HZERO send-phone-captcha daily limit (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  beforeAll(async () => {
    s = await startTestSignet({ backend: 'postgres', env: { SIGNET_CODE_RESEND_SECONDS: '0', SIGNET_CODE_DAILY_LIMIT: '2' } });
    await seed(s);
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('answers captcha.send.time-over past the daily limit', async () => {
    const send = () =>
      withQuery(s, 'GET', '/oauth/public/send-phone-captcha', { client_id: 'web', phone: '13800000000', internationalTelCode: '86' });
    expect((await send()).body.success).toBe(true);
    expect((await send()).body).toMatchObject({ success: true, interval: 0 });
    expect((await send()).body).toEqual({
      success: false,
      code: 'captcha.send.time-over',
      message: '验证码发送次数已达上限，请明天再试',
      captchaKey: null,
      interval: 0,
    });
  });
});
