// Image captchas on the in-process store: one answer per image, single-use tokens bound to a flow,
// nothing in the store that would answer a captcha.
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeDeps } from '../helpers/fakes.js';
import { FakeClock } from '../helpers/clock.js';
import {
  answerCaptcha,
  consumeCaptchaToken,
  createCaptcha,
  createCaptchaChallenge,
  renderCaptcha,
  verifyCaptcha,
} from '../../src/domain/defence/captcha.js';
import { SignetError } from '../../src/domain/errors.js';
import { sha256Hex } from '../../src/domain/crypto/secrets.js';

type D = Awaited<ReturnType<typeof fakeDeps>>;
const known = (text: string) => () => ({ text, svg: '<svg xmlns="http://www.w3.org/2000/svg"/>' });
const reasonOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e) => {
      if (e instanceof SignetError) return e.reason;
      throw e;
    },
  );

describe('captcha', () => {
  let deps: D;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock();
    deps = await fakeDeps({}, clock);
  });

  it('renders a 4-character SVG from an unambiguous alphabet', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { text, svg } = renderCaptcha();
      expect(text).toMatch(/^[a-zA-Z0-9]{4}$/);
      expect(text.toLowerCase()).not.toMatch(/[0o1li9g2z5suv]/);
      expect(svg.startsWith('<svg')).toBe(true);
      seen.add(text.toLowerCase());
    }
    expect(seen.size).toBeGreaterThan(190);
  });

  it('answers captcha/data with an SVG data URL, a 32-hex token, type image and the TTL', async () => {
    const c = await createCaptcha(deps, { state: 'POST:/v1/signin' });
    expect(c.token).toMatch(/^[0-9a-f]{32}$/);
    expect(c.type).toBe('image');
    expect(c.expiresIn).toBe(300);
    const [head, b64] = c.data.split(',');
    expect(head).toBe('data:image/svg+xml;base64');
    expect(Buffer.from(b64, 'base64').toString().startsWith('<svg')).toBe(true);
  });

  it('stores neither the answer nor the token in clear', async () => {
    const c = await createCaptchaChallenge(deps, { state: 'POST:/v1/signin' }, known('QwEr'));
    const raw = (await deps.kv.get(`captcha:{${sha256Hex(c.token)}}`))!;
    expect(raw).toBeTruthy();
    expect(raw.toLowerCase()).not.toContain('qwer');
    expect(JSON.parse(raw)).toEqual({ a: expect.stringMatching(/^[0-9a-f]{64}$/), s: 'POST:/v1/signin' });
    const t = await verifyCaptcha(deps, c.token, 'qwer');
    expect(await deps.kv.get(`captcha-token:{${sha256Hex(t.captchaToken)}}`)).toBe('POST:/v1/signin');
  });

  it('compares case-insensitively and yields a 256-bit single-use token for the state', async () => {
    const c = await createCaptchaChallenge(deps, { state: 'POST:/v1/signin' }, known('AbCd'));
    const t = await verifyCaptcha(deps, c.token, ' aBcD ');
    expect(t.captchaToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(t.expiresIn).toBe(300);
    expect(await consumeCaptchaToken(deps, t.captchaToken, ['POST:/v1/signin'])).toBe(true);
    expect(await consumeCaptchaToken(deps, t.captchaToken, ['POST:/v1/signin'])).toBe(false);
  });

  it('burns the challenge on any attempt: a wrong answer, then the right one, both fail', async () => {
    const c = await createCaptchaChallenge(deps, { state: 's' }, known('AbCd'));
    expect(await reasonOf(verifyCaptcha(deps, c.token, 'abce'))).toBe('captcha_invalid');
    expect(await reasonOf(verifyCaptcha(deps, c.token, 'abcd'))).toBe('captcha_invalid');
    const right = await createCaptchaChallenge(deps, { state: 's' }, known('AbCd'));
    await verifyCaptcha(deps, right.token, 'abcd');
    expect(await reasonOf(verifyCaptcha(deps, right.token, 'abcd'))).toBe('captcha_invalid');
  });

  it('answers an unknown token, an empty answer and an expired challenge with captcha_invalid', async () => {
    expect(await reasonOf(verifyCaptcha(deps, 'f'.repeat(32), 'abcd'))).toBe('captcha_invalid');
    expect(await reasonOf(verifyCaptcha(deps, '', 'abcd'))).toBe('captcha_invalid');
    const c = await createCaptchaChallenge(deps, { state: 's' }, known('AbCd'));
    expect(await reasonOf(verifyCaptcha(deps, c.token, ''))).toBe('captcha_invalid');
    const late = await createCaptchaChallenge(deps, { state: 's' }, known('AbCd'));
    clock.advance(300_000);
    expect(await reasonOf(verifyCaptcha(deps, late.token, 'abcd'))).toBe('captcha_invalid');
  });

  it('lets only one of many parallel answers through', async () => {
    const c = await createCaptchaChallenge(deps, { state: 's' }, known('AbCd'));
    const results = await Promise.all(Array.from({ length: 20 }, () => reasonOf(verifyCaptcha(deps, c.token, 'abcd'))));
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
  });

  it('accepts a captcha token only for its state, and spends it on a wrong state too', async () => {
    const c = await createCaptchaChallenge(deps, { state: 'POST:/v1/verification' }, known('AbCd'));
    const t = await verifyCaptcha(deps, c.token, 'abcd');
    expect(await consumeCaptchaToken(deps, t.captchaToken, ['POST:/v1/signin', 'POST:/v1/token'])).toBe(false);
    expect(await consumeCaptchaToken(deps, t.captchaToken, ['POST:/v1/verification'])).toBe(false);
    expect(await consumeCaptchaToken(deps, '', ['POST:/v1/verification'])).toBe(false);
    expect(await consumeCaptchaToken(deps, 'nope', ['POST:/v1/verification'])).toBe(false);
  });

  it('expires captcha tokens after captchaTtlSeconds', async () => {
    deps.settings.defence = { ...deps.settings.defence, captchaTtlSeconds: 2 };
    const c = await createCaptchaChallenge(deps, { state: 's' }, known('AbCd'));
    const t = await verifyCaptcha(deps, c.token, 'abcd');
    expect(t.expiresIn).toBe(2);
    clock.advance(1999);
    const fresh = await verifyCaptcha(deps, (await createCaptchaChallenge(deps, { state: 's' }, known('x'))).token, 'X');
    expect(await consumeCaptchaToken(deps, fresh.captchaToken, ['s'])).toBe(true);
    clock.advance(1);
    expect(await consumeCaptchaToken(deps, t.captchaToken, ['s'])).toBe(false);
  });

  it('answers HZERO-style in one step: true once for the right answer, burning the challenge either way', async () => {
    const c = await createCaptchaChallenge(deps, { state: 'hzero' }, known('AbCd'));
    expect(await answerCaptcha(deps, c.token, 'ABCD')).toBe(true);
    expect(await answerCaptcha(deps, c.token, 'ABCD')).toBe(false);
    const d = await createCaptchaChallenge(deps, { state: 'hzero' }, known('AbCd'));
    expect(await answerCaptcha(deps, d.token, 'abcx')).toBe(false);
    expect(await answerCaptcha(deps, d.token, 'abcd')).toBe(false);
    expect(await answerCaptcha(deps, '', 'abcd')).toBe(false);
  });
});
