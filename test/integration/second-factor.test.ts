// phone_required (an SMS code on top of the password) and the captcha gate of password sign-in
// with a real image captcha, on PostgreSQL + Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPost, dropSchema, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';
import { createCaptchaChallenge } from '../../src/domain/defence/captcha.js';

describe('second factor and captcha gate (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let hook: CodeHook;
  let fx: Awaited<ReturnType<typeof seed>>;
  const signin = (client: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    post(s.http, `/auth/v1/signin?client_id=${client}`, body, { 'accept-language': 'en', ...headers });

  /** Sends a code to alice's phone and exchanges it for a verification token. */
  async function phoneToken(client: string): Promise<string> {
    const sent = await post(s.http, `/auth/v1/verification?client_id=${client}`, { phone_number: '+86 13800000000', usage: 'sign_in' });
    expect(sent.status).toBe(200);
    const code = hook.codeFor('+8613800000000');
    const v = await post(s.http, '/auth/v1/verification/verify', { verification_id: sent.body.verification_id, verification_code: code });
    expect(v.status).toBe(200);
    return v.body.verification_token;
  }

  beforeAll(async () => {
    hook = await startCodeHook();
    s = await startTestSignet({
      backend: 'postgres',
      env: { ...hook.env(), SIGNET_CODE_RESEND_SECONDS: '0', SIGNET_IP_FAILURES_CAPTCHA: '0' },
    });
    fx = await seed(s);
    for (const [tenant, factor] of [
      ['strict', 'always'],
      ['devices', 'new_device'],
    ] as const) {
      await adminPost(s, '/admin/v1/tenants', { tenant_id: tenant, policy: { second_factor: factor } });
      await adminPost(s, '/admin/v1/clients', { client_id: `${tenant}-web`, tenant_id: tenant, public: true });
      await adminPost(s, '/admin/v1/users', {
        tenant_id: tenant,
        username: 'alice',
        phone_number: '+86 13800000000',
        password: fx.password,
      });
    }
  });
  afterAll(async () => {
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  it('asks for a code on top of the right password, then signs in with both', async () => {
    const first = await signin('strict-web', { username: 'alice', password: fx.password });
    expect(first.status).toBe(400);
    expect(first.body).toMatchObject({ error: 'phone_required', code: 9 });
    expect(first.body.details[0].metadata).toEqual({ phone_number: '+86138****0000' });
    // A wrong password never reaches the second factor.
    expect((await signin('strict-web', { username: 'alice', password: 'wrong' })).body.error).toBe('invalid_password');
    const token = await phoneToken('strict-web');
    const ok = await signin('strict-web', { username: 'alice', password: fx.password, verification_token: token });
    expect(ok.status).toBe(200);
    // The token was single-use.
    expect((await signin('strict-web', { username: 'alice', password: fx.password, verification_token: token })).body.error).toBe(
      'phone_required',
    );
  });

  it('asks only on a device the user has not signed in from', async () => {
    const dev = { 'x-device-id': 'device-known-0001' };
    expect((await signin('devices-web', { username: 'alice', password: fx.password }, dev)).body.error).toBe('phone_required');
    const token = await phoneToken('devices-web');
    expect((await signin('devices-web', { username: 'alice', password: fx.password, verification_token: token }, dev)).status).toBe(200);
    expect((await signin('devices-web', { username: 'alice', password: fx.password }, dev)).status).toBe(200);
    expect(
      (await signin('devices-web', { username: 'alice', password: fx.password }, { 'x-device-id': 'device-new-0002' })).body.error,
    ).toBe('phone_required');
  });

  it('lets a password sign-in past the captcha gate with a solved image captcha, once', async () => {
    for (let i = 0; i < 3; i++) await signin('web', { username: 'alice', password: 'wrong' });
    expect((await signin('web', { username: 'alice', password: fx.password })).body.error).toBe('captcha_required');
    // Solve a captcha the way the SDK does; the test knows the text because it draws the image.
    const challenge = await createCaptchaChallenge(s.running.deps, { state: 'POST:/v1/signin' }, () => ({ text: 'Ab3d', svg: '<svg/>' }));
    const solved = await post(s.http, '/auth/v1/captcha/data/verify', { token: challenge.token, key: 'aB3D' });
    expect(solved.status).toBe(200);
    const q = `&captcha_token=${encodeURIComponent(solved.body.captcha_token)}`;
    const ok = await post(s.http, `/auth/v1/signin?client_id=web${q}`, { username: 'alice', password: fx.password });
    expect(ok.status).toBe(200);
    // Success reset the count: no captcha needed now, and the spent token is refused anyway.
    expect((await signin('web', { username: 'alice', password: fx.password })).status).toBe(200);
  });

  it('binds captcha tokens to their flow', async () => {
    for (let i = 0; i < 3; i++) await signin('web', { username: 'alice', password: 'wrong' });
    const other = await createCaptchaChallenge(s.running.deps, { state: 'POST:/v1/verification' }, () => ({ text: 'zzzz', svg: '<svg/>' }));
    const solved = await post(s.http, '/auth/v1/captcha/data/verify', { token: other.token, key: 'zzzz' });
    const r = await signin('web', { username: 'alice', password: fx.password }, { 'x-captcha-token': solved.body.captcha_token });
    expect(r.body.error).toBe('captcha_invalid');
  });
});
