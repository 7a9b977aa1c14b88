// Image captchas end to end over REST and gRPC, on PostgreSQL + Redis and on the embedded default:
// the CloudBase endpoints, one answer per image, and captcha tokens (single-use, bound to a flow,
// expiring) as the verification endpoint demands them from the 4th code sent to a number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, call, dropSchema, grpcFailure, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';
import { createCaptchaChallenge } from '../../src/domain/defence/captcha.js';
import { sha256Hex } from '../../src/domain/crypto/secrets.js';
import type { AtomicScript, ScriptableKeyValueStore } from '../../src/storage/kv.js';
import { FakeClock } from '../helpers/clock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(BACKENDS)('captcha on %s', (backend) => {
  // The embedded default keeps its keys in the in-process store, whose TTLs follow the domain's
  // clock: a fake one lets time pass without waiting. Redis expires keys on its own clock, so
  // there time must really pass (a wait is never shorter than asked: exact however busy the machine).
  const clock = backend === 'embedded' ? new FakeClock(Date.now()) : undefined;
  const elapse = (ms: number) => (clock ? clock.advance(ms) : sleep(ms));
  let s: TestSignet;
  let hook: CodeHook;
  let expireSoon: AtomicScript<number>;
  let numbers = 0;

  /** A challenge whose answer the test knows, stored by Signet's own code in Signet's store. */
  const plant = async (state: string, text = 'AbCd') =>
    (await createCaptchaChallenge(s.running.deps, { state }, () => ({ text, svg: '<svg/>' }))).token;
  const captchaToken = async (state = 'POST:/v1/verification') => {
    const r = await post(s.http, '/auth/v1/captcha/data/verify?client_id=web', { token: await plant(state), key: 'abcd' });
    expect(r.status).toBe(200);
    return r.body.captcha_token as string;
  };
  const send = (phone: string, query = '', headers: Record<string, string> = {}) =>
    post(s.http, `/auth/v1/verification?client_id=web${query}`, { phone_number: phone }, headers);
  /** A number that has had its 3 sends: the next one needs a captcha. */
  const exhaustedNumber = async () => {
    const phone = `+86 137${String(20_000_000 + ++numbers).padStart(8, '0')}`;
    for (let i = 0; i < 3; i++) expect((await send(phone)).status).toBe(200);
    return phone;
  };

  beforeAll(async () => {
    hook = await startCodeHook();
    s = await startTestSignet({ backend, env: { ...hook.env(), SIGNET_CODE_RESEND_SECONDS: '0' }, clock });
    await seed(s);
    // Test-only: lets a key expire within a second on either backend, through the store's own API.
    expireSoon = (s.running.kv as ScriptableKeyValueStore).defineScript<number>({
      name: 'test-expire-soon',
      numKeys: 1,
      lua: `return redis.call('EXPIRE', KEYS[1], 1)`,
      memory: (ks, [k]) => (ks.expire(k, 1) ? 1 : 0),
    });
  });
  afterAll(async () => {
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  it('answers captcha/data with {token, data, type: "image", expires_in} over REST and gRPC', async () => {
    const r = await post(s.http, '/auth/v1/captcha/data?client_id=web', { state: 'POST:/v1/signin', redirect_uri: '' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ token: expect.stringMatching(/^[0-9a-f]{32}$/), data: expect.any(String), type: 'image', expires_in: 300 });
    const [head, b64] = r.body.data.split(',');
    expect(head).toBe('data:image/svg+xml;base64');
    expect(Buffer.from(b64, 'base64').toString()).toMatch(/^<svg [^>]*>.*<\/svg>$/s);
    const g = await call<object, any>(s.grpc, 'getCaptcha', { client_id: 'web', state: 'POST:/v1/signin' });
    expect(g).toMatchObject({ type: 'image', expires_in: 300 });
    expect(g.token).not.toBe(r.body.token);
  });

  it('needs a known client and a state', async () => {
    expect((await post(s.http, '/auth/v1/captcha/data', { state: 's' })).body.error).toBe('invalid_client');
    expect((await post(s.http, '/auth/v1/captcha/data?client_id=nope', { state: 's' })).body.error).toBe('invalid_client');
    const r = await post(s.http, '/auth/v1/captcha/data?client_id=web', { state: '' });
    expect(r).toMatchObject({ status: 400, body: { error: 'invalid_argument' } });
  });

  it('verifies case-insensitively into a captcha token, over REST and gRPC', async () => {
    const r = await post(s.http, '/auth/v1/captcha/data/verify?client_id=web', { token: await plant('POST:/v1/signin'), key: 'aBCd' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ captcha_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expires_in: 300 });
    const g = await call<object, any>(s.grpc, 'verifyCaptcha', { token: await plant('POST:/v1/signin'), key: 'ABCD' });
    expect(g).toEqual({ captcha_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expires_in: 300 });
  });

  it('burns an image on any answer: after a wrong one the right one fails too', async () => {
    const token = await plant('POST:/v1/signin');
    const wrong = await post(s.http, '/auth/v1/captcha/data/verify', { token, key: 'abce' });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'captcha_invalid', error_code: 3 } });
    expect((await post(s.http, '/auth/v1/captcha/data/verify', { token, key: 'abcd' })).body.error).toBe('captcha_invalid');
    const g = await grpcFailure(call(s.grpc, 'verifyCaptcha', { token, key: 'abcd' }));
    expect(g).toMatchObject({ code: 3, reason: 'captcha_invalid' });
    // A real image: its answer is unknown here, but one wrong answer is enough to burn it.
    const real = (await post(s.http, '/auth/v1/captcha/data?client_id=web', { state: 's' })).body.token;
    expect((await post(s.http, '/auth/v1/captcha/data/verify', { token: real, key: '!!!!' })).body.error).toBe('captcha_invalid');
    expect(await s.running.kv.get(`captcha:{${sha256Hex(real)}}`)).toBeNull();
  });

  it('asks for a captcha from the 4th code to a number, and takes the token from the query as the SDK retries', async () => {
    const phone = await exhaustedNumber();
    const required = await send(phone);
    expect(required).toMatchObject({ status: 400, body: { error: 'captcha_required', error_code: 9 } });
    const ok = await send(phone, `&captcha_token=${await captchaToken()}`);
    expect(ok.status).toBe(200);
    expect(ok.body.is_user).toBe(false);
  });

  it('spends a captcha token once', async () => {
    const phone = await exhaustedNumber();
    const token = await captchaToken();
    expect((await send(phone, `&captcha_token=${token}`)).status).toBe(200);
    const again = await send(phone, `&captcha_token=${token}`);
    expect(again).toMatchObject({ status: 400, body: { error: 'captcha_invalid' } });
  });

  it('reads the token from x-captcha-token and from the gRPC field, and only for its flow', async () => {
    const phone = await exhaustedNumber();
    const signinFlow = await send(phone, '', { 'x-captcha-token': await captchaToken('POST:/v1/signin') });
    expect(signinFlow.body.error).toBe('captcha_invalid');
    expect((await send(phone, '', { 'x-captcha-token': await captchaToken() })).status).toBe(200);
    const g = await call<object, any>(s.grpc, 'sendVerification', {
      client_id: 'web',
      phone_number: phone,
      captcha_token: await captchaToken(),
    });
    expect(g.verification_id).toMatch(/^[0-9a-f]{32}$/);
    const md = await call<object, any>(
      s.grpc,
      'sendVerification',
      { client_id: 'web', phone_number: phone },
      { 'x-captcha-token': await captchaToken() },
    );
    expect(md.verification_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('lets a captcha token expire', async () => {
    const phone = await exhaustedNumber();
    const token = await captchaToken();
    expect(await expireSoon([`captcha-token:{${sha256Hex(token)}}`])).toBe(1);
    await elapse(1100);
    expect((await send(phone, `&captcha_token=${token}`)).body.error).toBe('captcha_invalid');
  });
});
