// Send limits that need their own settings, and two instances sharing PostgreSQL and Redis: a code
// sent through one is verified, counted and burned through the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, call, dropSchema, grpcFailure, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';
import { consumeCaptchaToken, createCaptchaChallenge } from '../../src/domain/defence/captcha.js';
import type { TokenResponse } from '../../src/gen/signet/auth/v1/token.js';

const captchaToken = async (s: TestSignet, state = 'POST:/v1/verification') => {
  const { token } = await createCaptchaChallenge(s.running.deps, { state }, () => ({ text: 'abcd', svg: '<svg/>' }));
  const r = await post(s.http, '/auth/v1/captcha/data/verify', { token, key: 'abcd' });
  return r.body.captcha_token as string;
};

describe.each(BACKENDS)('daily code limit on %s', (backend) => {
  let s: TestSignet;
  let hook: CodeHook;

  beforeAll(async () => {
    hook = await startCodeHook();
    s = await startTestSignet({ backend, env: { ...hook.env(), SIGNET_CODE_RESEND_SECONDS: '0', SIGNET_CODE_DAILY_LIMIT: '4' } });
    await seed(s);
  });
  afterAll(async () => {
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  it('allows SIGNET_CODE_DAILY_LIMIT codes per number per 24 h, then answers how long to wait', async () => {
    const send = (phone: string, captcha?: string) =>
      post(s.http, `/auth/v1/verification?client_id=web${captcha ? `&captcha_token=${captcha}` : ''}`, { email: phone });
    for (let i = 0; i < 3; i++) expect((await send('bob@example.com')).status).toBe(200);
    expect((await send('bob@example.com', await captchaToken(s))).status).toBe(200);
    const captcha = await captchaToken(s);
    const r = await send('bob@example.com', captcha);
    expect(r).toMatchObject({ status: 429, body: { error: 'resource_exhausted', error_code: 8 } });
    // A day from the first send, less the seconds this test took (Redis keeps real time; a loaded
    // machine may take several).
    expect(r.body.details[0].retry_delay).toMatch(/^86(3[6-9]\d|400)s$/);
    expect(r.body.details[0].metadata).toEqual({ scope: 'code_daily', hzero_key: 'captcha.send.time-over' });
    expect(hook.deliveries.filter((d) => d.to === 'bob@example.com')).toHaveLength(4);
    // The refusal did not spend the captcha token: it still opens a 4th send elsewhere.
    for (let i = 0; i < 3; i++) expect((await send('carol@example.com')).status).toBe(200);
    expect((await send('carol@example.com', captcha)).status).toBe(200);
    const g = await grpcFailure(call(s.grpc, 'sendVerification', { client_id: 'web', email: 'bob@example.com' }));
    expect(g).toMatchObject({ code: 8, reason: 'resource_exhausted' });
  });
});

describe('two instances sharing PostgreSQL and Redis', () => {
  let a: TestSignet;
  let b: TestSignet;
  let hook: CodeHook;
  let fx: Awaited<ReturnType<typeof seed>>;

  beforeAll(async () => {
    hook = await startCodeHook();
    a = await startTestSignet({ backend: 'postgres', env: hook.env() });
    b = await startTestSignet({ backend: 'postgres', env: hook.env(), schema: a.schema, keyPrefix: a.keyPrefix });
    fx = await seed(a);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await hook?.close();
    await dropSchema(a?.schema);
  });

  it('verifies on B a code sent through A, and signs in on A with the token B issued', async () => {
    const sent = await post(a.http, '/auth/v1/verification?client_id=web', { phone_number: '+86 13800000000', usage: 'sign_in' });
    expect(sent.status).toBe(200);
    const v = await call<object, any>(b.grpc, 'verifyVerification', {
      verification_id: sent.body.verification_id,
      verification_code: hook.codeFor('+8613800000000'),
    });
    const t = await post(a.http, '/auth/v1/signin?client_id=web', { verification_token: v.verification_token });
    expect(t.status).toBe(200);
    expect(t.body.sub).toBe(fx.userId);
    const replay = await grpcFailure(
      call<object, TokenResponse>(b.grpc, 'signIn', { client_id: 'web', verification_token: v.verification_token }),
    );
    expect(replay).toMatchObject({ code: 3, reason: 'invalid_grant' });
  });

  it('shares the resend gap, the attempt count and the burn', async () => {
    const sent = await post(a.http, '/auth/v1/verification?client_id=web', { phone_number: '13800000005' });
    expect(sent.status).toBe(200);
    const gap = await post(b.http, '/auth/v1/verification?client_id=web', { phone_number: '+8613800000005' });
    expect(gap).toMatchObject({ status: 429, body: { error: 'resource_exhausted' } });
    const code = hook.codeFor('+8613800000005');
    const wrong = code === '000000' ? '000001' : '000000';
    const left = [];
    for (const s of [a, b, a, b, a]) {
      const r = await post(s.http, '/auth/v1/verification/verify', {
        verification_id: sent.body.verification_id,
        verification_code: wrong,
      });
      left.push(r.body.details[0].limit_remaining);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    const right = await post(b.http, '/auth/v1/verification/verify', {
      verification_id: sent.body.verification_id,
      verification_code: code,
    });
    expect(right.body.error).toBe('verification_invalid');
  });

  it('lets one of two simultaneous sends to a number through, whichever instance gets it', async () => {
    const sends = await Promise.all(
      [a, b, a, b].map((s) => post(s.http, '/auth/v1/verification?client_id=web', { phone_number: '13800000006' })),
    );
    expect(sends.map((r) => r.status).sort()).toEqual([200, 429, 429, 429]);
    expect(hook.deliveries.filter((d) => d.to === '+8613800000006')).toHaveLength(1);
  });

  it('answers on B a captcha made on A, and the token is single-use across both', async () => {
    const { token } = await createCaptchaChallenge(a.running.deps, { state: 'POST:/v1/verification' }, () => ({ text: 'wxyz', svg: '' }));
    const r = await call<object, any>(b.grpc, 'verifyCaptcha', { token, key: 'WXYZ' });
    expect(await consumeCaptchaToken(a.running.deps, r.captcha_token, ['POST:/v1/verification'])).toBe(true);
    expect(await consumeCaptchaToken(b.running.deps, r.captcha_token, ['POST:/v1/verification'])).toBe(false);
    expect((await post(a.http, '/auth/v1/captcha/data/verify', { token, key: 'wxyz' })).body.error).toBe('captcha_invalid');
  });
});
