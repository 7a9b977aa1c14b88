// Verification codes end to end over real REST and gRPC, on PostgreSQL + Redis and on the embedded
// default: the codes travel through the webhook sender to a local receiver, as in production.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, adminPost, call, dropSchema, grpcFailure, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';
import type { TokenResponse } from '../../src/gen/signet/auth/v1/token.js';

const TOKEN_KEYS = [
  'access_token',
  'expires_in',
  'groups',
  'id_token',
  'need_weda_resource',
  'refresh_token',
  'scope',
  'sub',
  'token_type',
];

describe.each(BACKENDS)('verification codes on %s', (backend) => {
  let s: TestSignet;
  let hook: CodeHook;
  let fx: Awaited<ReturnType<typeof seed>>;
  let phones = 0;

  const sendRest = (body: Record<string, unknown>, query = '?client_id=web', headers: Record<string, string> = {}) =>
    post(s.http, `/auth/v1/verification${query}`, body, headers);
  const verifyRest = (verification_id: string, verification_code: string) =>
    post(s.http, '/auth/v1/verification/verify?client_id=web', { verification_id, verification_code });
  /** A user with a phone number of its own, so that no two tests share a send limit. */
  const userWithPhone = async () => {
    const local = `139${String(10_000_000 + ++phones * 7919).padStart(8, '0')}`;
    const u = await adminPost(s, '/admin/v1/users', {
      tenant_id: 'acme',
      username: `p${phones}`,
      phone_number: local,
      password: 'x-password-1',
    });
    expect(u.status).toBe(200);
    return { id: u.body.user_id as string, local, e164: `+86${local}` };
  };
  const codeFor = async (phone: string) => {
    const r = await sendRest({ phone_number: phone });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return { id: r.body.verification_id as string, code: hook.codeFor(phone.startsWith('+') ? phone.replace(/\s/g, '') : `+86${phone}`) };
  };
  const wrong = (code: string) => (code === '000000' ? '000001' : '000000');

  beforeAll(async () => {
    hook = await startCodeHook();
    s = await startTestSignet({ backend, env: hook.env() });
    fx = await seed(s);
    const app = await adminPost(s, '/admin/v1/clients', {
      client_id: 'app',
      tenant_id: 'acme',
      public: true,
      grant_types: ['sms', 'refresh_token'],
      scopes: ['openid', 'user'],
    });
    expect(app.status, JSON.stringify(app.body)).toBe(200);
  });
  afterAll(async () => {
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  it('sends a code through the signed webhook and signs in with it, as the CloudBase SDK does', async () => {
    const sent = await sendRest({ phone_number: '+86 13800000000', target: 'ANY', usage: 'sign_in' });
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ verification_id: expect.stringMatching(/^[0-9a-f]{32}$/), is_user: true, expires_in: 300 });
    expect(hook.deliveries.at(-1)).toEqual({
      channel: 'sms',
      to: '+8613800000000',
      code: expect.stringMatching(/^\d{6}$/),
      usage: 'sign_in',
      tenant_id: 'acme',
      expires_in: 300,
      locale: 'zh-CN',
    });
    const verified = await verifyRest(sent.body.verification_id, hook.codeFor('+8613800000000'));
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ verification_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expires_in: 600 });
    const signin = await post(s.http, '/auth/v1/signin?client_id=web', {
      phone_number: '+86 13800000000',
      verification_token: verified.body.verification_token,
    });
    expect(signin.status).toBe(200);
    expect(Object.keys(signin.body).sort()).toEqual(TOKEN_KEYS);
    expect(signin.body.sub).toBe(fx.userId);
    const again = await post(s.http, '/auth/v1/signin?client_id=web', {
      phone_number: '+86 13800000000',
      verification_token: verified.body.verification_token,
    });
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_code: 3 } });
    expect(hook.badSignatures).toBe(0);
  });

  it('does the same over gRPC with an e-mail address', async () => {
    const sent = await call<object, any>(
      s.grpc,
      'sendVerification',
      { client_id: 'web', email: 'Alice@Example.com' },
      { 'accept-language': 'en' },
    );
    expect(sent).toEqual({ verification_id: expect.stringMatching(/^[0-9a-f]{32}$/), is_user: true, expires_in: 300 });
    const d = hook.deliveries.at(-1)!;
    expect(d).toMatchObject({ channel: 'email', to: 'alice@example.com', locale: 'en' });
    const v = await call<object, any>(s.grpc, 'verifyVerification', { verification_id: sent.verification_id, verification_code: d.code });
    expect(v.expires_in).toBe(600);
    const t = await call<object, TokenResponse>(s.grpc, 'signIn', {
      client_id: 'web',
      email: 'alice@example.com',
      verification_token: v.verification_token,
    });
    expect(t.sub).toBe(fx.userId);
  });

  it('reports is_user, and refuses target USER for an unknown number', async () => {
    const unknown = await sendRest({ phone_number: '13700000001' });
    expect(unknown.body).toMatchObject({ is_user: false });
    const refused = await sendRest({ phone_number: '13700000002', target: 'USER' });
    expect(refused).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const both = await sendRest({ phone_number: '13700000003', email: 'a@example.com' });
    expect(both).toMatchObject({ status: 400, body: { error: 'invalid_argument' } });
    expect(both.body.details[1].field_violations[0].field).toBe('phone_number');
  });

  it('burns a code at the 5th wrong try: limit_remaining counts down, then the right code fails', async () => {
    const u = await userWithPhone();
    const { id, code } = await codeFor(u.local);
    const left = [];
    for (let i = 0; i < 5; i++) {
      const r = await verifyRest(id, wrong(code));
      expect(r).toMatchObject({ status: 400, body: { error: 'verification_invalid', error_code: 3 } });
      // The message names the attempts left (zh-CN by default).
      expect(r.body.error_description).toBe(`您输入的验证码有误，还可以尝试${4 - i}次`);
      left.push(r.body.details[0].limit_remaining);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    const right = await verifyRest(id, code);
    expect(right.body).toMatchObject({ error: 'verification_invalid', error_description: '验证码失效，请重新获取' });
    expect(right.body.details[0]).toMatchObject({ reason: 'verification_invalid', limit_remaining: 0, metadata: { limit_remaining: '0' } });
    const g = await grpcFailure(
      call(s.grpc, 'verifyVerification', { verification_id: id, verification_code: code }, { 'accept-language': 'en' }),
    );
    expect(g).toMatchObject({ code: 3, reason: 'verification_invalid', metadata: { limit_remaining: '0' } });
    expect(g.message).toBe('The code has expired; request a new one.');
  });

  it('allows exactly 5 compares under 50 parallel wrong codes', async () => {
    const u = await userWithPhone();
    const { id, code } = await codeFor(u.local);
    const answers = await Promise.all(Array.from({ length: 50 }, () => verifyRest(id, wrong(code))));
    expect(answers.every((a) => a.status === 400 && a.body.error === 'verification_invalid')).toBe(true);
    const left = answers.map((a) => a.body.details[0].limit_remaining as number).sort((a, b) => a - b);
    expect(left).toEqual([...Array(46).fill(0), 1, 2, 3, 4]);
    expect((await verifyRest(id, code)).body.error).toBe('verification_invalid');
  });

  it('allows one send per number per 60 s, answering retry_delay over REST and RetryInfo over gRPC', async () => {
    const u = await userWithPhone();
    await codeFor(u.local);
    const r = await sendRest({ phone_number: u.local });
    expect(r).toMatchObject({ status: 429, body: { error: 'resource_exhausted', error_code: 8 } });
    expect(r.body.details[0].retry_delay).toMatch(/^(59|60)s$/);
    expect(r.body.details[0].metadata).toEqual({ scope: 'code_resend', hzero_key: 'captcha.send.interval' });
    const g = await grpcFailure(call(s.grpc, 'sendVerification', { client_id: 'web', phone_number: u.e164 }));
    expect(g).toMatchObject({ code: 8, reason: 'resource_exhausted' });
    expect(g.status.details.map((d) => d.type_url)).toContain('type.googleapis.com/google.rpc.RetryInfo');
  });

  it('answers unavailable when the webhook fails, and lets the number try again at once', async () => {
    const u = await userWithPhone();
    hook.status = 500;
    try {
      const r = await sendRest({ phone_number: u.local });
      expect(r).toMatchObject({ status: 503, body: { error: 'unavailable' } });
      expect(r.text).not.toContain('127.0.0.1');
    } finally {
      hook.status = 204;
    }
    await codeFor(u.local);
  });

  it('signs in with grant_type sms and its HZERO alias implicit, over REST and gRPC', async () => {
    const u = await userWithPhone();
    const first = await codeFor(u.local);
    const rest = await post(s.http, '/auth/v1/token', {
      grant_type: 'sms',
      client_id: 'app',
      phone: u.local,
      captcha: first.code,
      captcha_key: first.id,
    });
    expect(rest.status, JSON.stringify(rest.body)).toBe(200);
    expect(Object.keys(rest.body).sort()).toEqual(TOKEN_KEYS);
    expect(rest.body.sub).toBe(u.id);
    const v = await userWithPhone();
    const second = await codeFor(v.local);
    const g = await call<object, TokenResponse>(s.grpc, 'token', {
      grant_type: 'implicit',
      client_id: 'app',
      phone: v.e164,
      captcha: second.code,
      captcha_key: second.id,
    });
    expect(g.sub).toBe(v.id);
    expect(g.refresh_token).not.toBe('');
  });

  it('refuses the sms grant without a phone, with a code of another number, or to a client without it', async () => {
    const u = await userWithPhone();
    const { id, code } = await codeFor(u.local);
    const missing = await post(s.http, '/auth/v1/token', { grant_type: 'sms', client_id: 'app', captcha: code, captcha_key: id });
    expect(missing).toMatchObject({ status: 400, body: { error: 'invalid_argument' } });
    expect(missing.body.details[1].field_violations[0].field).toBe('phone');
    const other = await post(s.http, '/auth/v1/token', {
      grant_type: 'sms',
      client_id: 'app',
      phone: '13800000000',
      captcha: code,
      captcha_key: id,
    });
    expect(other.body).toMatchObject({ error: 'verification_invalid' });
    expect(other.body.details[0].limit_remaining).toBe(4);
    const web = await post(s.http, '/auth/v1/token', {
      grant_type: 'sms',
      client_id: 'web',
      phone: u.local,
      captcha: code,
      captcha_key: id,
    });
    expect(web).toMatchObject({ status: 403, body: { error: 'permission_denied' } });
    // The code survived both refusals that did not compare it.
    const ok = await post(s.http, '/auth/v1/token', {
      grant_type: 'sms',
      client_id: 'app',
      phone: u.local,
      captcha: code,
      captcha_key: id,
    });
    expect(ok.status).toBe(200);
  });
});
