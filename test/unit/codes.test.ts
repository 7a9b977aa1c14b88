// Verification codes on the in-process store (a real backend whose scripts are the JS twins of the
// Lua ones): send limits, captcha after 3 sends, exact attempt counting, single-use tokens.
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeDeps, fakeSender, storedAuditEvents } from '../helpers/fakes.js';
import { userInput } from '../helpers/commands.js';
import * as admin from '../../src/domain/accounts/admin.js';
import { FakeClock } from '../helpers/clock.js';
import { SignetError } from '../../src/domain/errors.js';
import type { Tenant } from '../../src/domain/model.js';
import { checkCode, consumeVerificationToken, sendCode, verifyCode, type SendCodeRequest } from '../../src/domain/defence/codes.js';
import { createCaptchaChallenge, verifyCaptcha } from '../../src/domain/defence/captcha.js';
import { sha256Hex } from '../../src/domain/crypto/secrets.js';
import { SendPacing } from '../../src/domain/defence/send-pacing.js';
import { hzeroKeyFor, messageFor } from '../../src/transport/messages.js';

type D = Awaited<ReturnType<typeof fakeDeps>>;
const PHONE = '+8613800000000';
/** A refusal's reason and details, or reason 'ok'. */
type Outcome = { reason: string; details?: SignetError['details'] };
const failure = (p: Promise<unknown>): Promise<Outcome> =>
  p.then(
    () => ({ reason: 'ok' }),
    (e) => {
      if (e instanceof SignetError) return e;
      throw e;
    },
  );
const remaining = (e: Outcome) => e.details?.metadata?.limit_remaining;

describe('verification codes', () => {
  let deps: D;
  let sender: ReturnType<typeof fakeSender>;
  let tenant: Tenant;
  let clock: FakeClock;
  const send = (over: Partial<SendCodeRequest> = {}) =>
    sendCode(deps, {
      tenant,
      userType: 'P',
      channel: 'sms',
      destination: PHONE,
      target: 'ANY',
      usage: 'sign_in',
      locale: 'en',
      ip: '10.0.0.1',
      clientId: 'c1',
      ...over,
    });
  const lastCode = () => sender.sent[sender.sent.length - 1].code;
  const captchaToken = async (state = 'POST:/v1/verification') => {
    const c = await createCaptchaChallenge(deps, { state }, () => ({ text: 'abcd', svg: '' }));
    return (await verifyCaptcha(deps, c.token, 'abcd')).captchaToken;
  };
  const settings = (codes: Partial<D['settings']['codes']>) => {
    deps.settings.codes = { ...deps.settings.codes, ...codes };
  };

  beforeEach(async () => {
    clock = new FakeClock();
    deps = await fakeDeps({}, clock);
    sender = fakeSender();
    deps.sender = sender;
    tenant = await admin.createTenant(deps, 't1', 'T1', {});
    await admin.createTenant(deps, 't2', 'T2', { hideUnknownUsers: true });
    await admin.createUser(deps, userInput({ username: 'u1', email: 'u1@example.com', phoneNumber: PHONE }));
  });

  describe('sending', () => {
    it('sends a 6-digit code and keeps only its HMAC, under a 32-hex verification id', async () => {
      const r = await send();
      expect(r).toEqual({ verificationId: expect.stringMatching(/^[0-9a-f]{32}$/), isUser: true, expiresIn: 300 });
      expect(sender.sent).toEqual([
        {
          channel: 'sms',
          to: PHONE,
          code: expect.stringMatching(/^\d{6}$/),
          usage: 'sign_in',
          tenantId: 't1',
          expiresInSeconds: 300,
          locale: 'en',
        },
      ]);
      const raw = (await deps.kv.get(`code:{${r.verificationId}}`))!;
      expect(raw).not.toContain(lastCode());
      expect(JSON.parse(raw)).toEqual({ h: expect.stringMatching(/^[0-9a-f]{64}$/), t: 't1', u: 'P', c: 'sms', d: PHONE, g: 'sign_in' });
    });

    it('audits code_sent without the code or the destination', async () => {
      await send();
      await deps.audit.flush();
      const events = await storedAuditEvents(deps.storage);
      const row = events.find((e) => e.event === 'code_sent')!;
      expect(row).toMatchObject({ event: 'code_sent', tenantId: 't1', clientId: 'c1', ip: '10.0.0.1', reason: 'sms' });
      expect(JSON.stringify(events)).not.toContain(lastCode());
      expect(JSON.stringify(events)).not.toContain('13800000000');
    });

    it('tells whether a user has the destination, and sends to anyone for target ANY', async () => {
      expect((await send({ channel: 'email', destination: 'u1@example.com' })).isUser).toBe(true);
      expect((await send({ destination: '+8613900000000' })).isUser).toBe(false);
      expect((await send({ destination: '+8613900000001', userType: 'C' })).isUser).toBe(false);
      expect(sender.sent).toHaveLength(3);
    });

    it('refuses target USER for an unknown destination, or pretends with hide_unknown_users', async () => {
      expect((await failure(send({ destination: '+8613900000000', target: 'USER' }))).reason).toBe('not_found');
      expect(sender.sent).toHaveLength(0);
      const hidden = (await admin.getTenant(deps, 't2'))!;
      const r = await send({ tenant: hidden, destination: '+8613900000000', target: 'USER' });
      expect(r).toEqual({ verificationId: expect.stringMatching(/^[0-9a-f]{32}$/), isUser: true, expiresIn: 300 });
      expect(sender.sent).toHaveLength(0);
      // The pretend code counts attempts like a real one.
      expect(remaining(await failure(verifyCode(deps, r.verificationId, '000000')))).toBe('4');
      // …and the send limits apply as to a real destination.
      expect((await failure(send({ tenant: hidden, destination: '+8613900000000', target: 'USER' }))).reason).toBe('resource_exhausted');
      // With the policy on, is_user reveals nothing for ANY either.
      expect((await send({ tenant: hidden, destination: '+8613900000009' })).isUser).toBe(true);
      await deps.audit.flush();
      expect((await storedAuditEvents(deps.storage)).map((e) => e.event)).toContain('code_suppressed');
    });

    it('refuses target NOT_USER for a held destination and sends to a free one', async () => {
      const held = await failure(send({ target: 'NOT_USER', usage: 'sign_up' }));
      expect([held.reason, held.details?.message]).toEqual(['already_exists', 'already_exists.contact_taken']);
      expect(sender.sent).toHaveLength(0);
      await send({ destination: '+8613900000000', target: 'NOT_USER', usage: 'sign_up' });
      expect(sender.sent).toHaveLength(1);
    });

    it('records the user of a CUR_USER code in its verification token', async () => {
      const { verificationId } = await send({ target: 'CUR_USER', userId: 'user-1', usage: 'sudo' });
      const t = await verifyCode(deps, verificationId, lastCode());
      expect((await consumeVerificationToken(deps, t.verificationToken, { tenantId: 't1', usage: 'sudo' }))?.userId).toBe('user-1');
      // Another target records nobody, whatever the request carried.
      const other = await send({ destination: '+8613900000000', userId: 'user-1', usage: 'sudo' });
      const t2 = await verifyCode(deps, other.verificationId, lastCode());
      expect((await consumeVerificationToken(deps, t2.verificationToken, { tenantId: 't1', usage: 'sudo' }))?.userId).toBe('');
    });

    it('makes a suppressed send wait about as long as real sends take, so its answer time hides nothing', async () => {
      // A real send that takes 300 ms by the domain's clock.
      const slow = {
        name: 'slow',
        sent: [] as unknown[],
        async send(m: unknown) {
          clock.advance(300);
          slow.sent.push(m);
        },
      };
      deps.sender = slow;
      const hidden = (await admin.getTenant(deps, 't2'))!;
      await send({ destination: PHONE });
      const started = performance.now();
      await send({ tenant: hidden, destination: '+8613900000001', target: 'USER' });
      // A timer never fires early (a millisecond of rounding aside): the wait is at least 75% of 300 ms.
      expect(performance.now() - started).toBeGreaterThanOrEqual(0.75 * 300 - 2);
      expect(slow.sent).toHaveLength(1);
    });

    it('paces by a running estimate of real send times, spread ±25%', () => {
      const p = new SendPacing();
      expect(p.waitMs()).toBe(0);
      p.observe(100);
      expect([p.waitMs(() => 0), p.waitMs(() => 1)]).toEqual([75, 125]);
      p.observe(200);
      expect(p.waitMs(() => 0.5)).toBeCloseTo(120);
      p.observe(1e9);
      expect(p.waitMs(() => 1)).toBeLessThanOrEqual(1.25 * 10_000);
    });

    it('allows one send per destination per resendSeconds, answering the seconds left', async () => {
      await send();
      clock.advance(2000);
      const e = await failure(send());
      expect(e.reason).toBe('resource_exhausted');
      expect(e.details?.retryAfterSeconds).toBe(58);
      expect(e.details?.metadata).toEqual({ scope: 'code_resend' });
      expect((await send({ destination: '+8613900000000' })).isUser).toBe(false);
      clock.advance(58_000);
      await send();
      expect(sender.sent).toHaveLength(3);
    });

    it('lets exactly one of many parallel sends to a destination through', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => failure(send())));
      expect(results.filter((r) => r.reason === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r.reason === 'resource_exhausted')).toHaveLength(19);
      expect(sender.sent).toHaveLength(1);
    });

    it('needs a captcha token for the flow POST:/v1/verification from the 4th send in the window', async () => {
      settings({ resendSeconds: 0 });
      for (let i = 0; i < 3; i++) await send();
      expect((await failure(send())).reason).toBe('captcha_required');
      expect((await failure(send({ captchaToken: 'nope' }))).reason).toBe('captcha_invalid');
      expect((await failure(send({ captchaToken: await captchaToken('POST:/v1/signin') }))).reason).toBe('captcha_invalid');
      const t = await captchaToken();
      await send({ captchaToken: t });
      expect((await failure(send({ captchaToken: t }))).reason).toBe('captcha_invalid');
      await send({ captchaToken: await captchaToken() });
      expect(sender.sent).toHaveLength(5);
      // Other destinations are counted apart.
      await send({ destination: '+8613900000000' });
    });

    it('does not spend a captcha token on a send refused for another reason, or not needing it', async () => {
      const t = await captchaToken();
      await send({ captchaToken: t });
      expect((await failure(send({ captchaToken: t }))).reason).toBe('resource_exhausted');
      clock.advance(60_000);
      await send();
      clock.advance(60_000);
      await send();
      clock.advance(60_000);
      await send({ captchaToken: t });
      expect(sender.sent).toHaveLength(4);
    });

    it('allows dailyLimit sends per destination per 24 h, then answers when the window ends', async () => {
      settings({ resendSeconds: 0, dailyLimit: 5 });
      for (let i = 0; i < 5; i++) await send({ captchaToken: i >= 3 ? await captchaToken() : undefined });
      clock.advance(3_600_000);
      const e = await failure(send({ captchaToken: await captchaToken() }));
      expect(e.reason).toBe('resource_exhausted');
      expect(e.details?.retryAfterSeconds).toBe(86400 - 3600);
      expect(e.details?.metadata).toEqual({ scope: 'code_daily' });
      clock.advance((86400 - 3600) * 1000);
      await send();
      expect(sender.sent).toHaveLength(6);
    });

    it('answers unavailable when the sender fails, and gives the slot back', async () => {
      deps.sender = {
        name: 'broken',
        async send() {
          throw new Error('provider down');
        },
      };
      const e = await failure(send());
      expect(e.reason).toBe('unavailable');
      expect(e.details?.metadata).toEqual({ sender: 'broken' });
      deps.sender = sender;
      settings({ dailyLimit: 1 });
      // Neither the resend gap nor the daily count was spent.
      await send();
      expect(sender.sent).toHaveLength(1);
    });
  });

  describe('verifying', () => {
    it('exchanges a right code once for a 256-bit verification token carrying the destination', async () => {
      const { verificationId } = await send();
      const t = await verifyCode(deps, verificationId, lastCode());
      expect(t).toEqual({ verificationToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expiresIn: 600 });
      expect(await deps.kv.get(`verification-token:{${sha256Hex(t.verificationToken)}}`)).not.toContain(t.verificationToken);
      const again = await failure(verifyCode(deps, verificationId, lastCode()));
      expect([again.reason, remaining(again)]).toEqual(['verification_invalid', '0']);
      // A spent code: no count for the message to name.
      expect(again.details?.params).toBeUndefined();
      expect(await consumeVerificationToken(deps, t.verificationToken, { tenantId: 't1', usage: 'sign_in' })).toEqual({
        channel: 'sms',
        destination: PHONE,
        userType: 'P',
        userId: '',
      });
      expect(await consumeVerificationToken(deps, t.verificationToken, { tenantId: 't1', usage: 'sign_in' })).toBeNull();
    });

    it('counts wrong codes down and burns the code at the 5th: the right code then fails', async () => {
      const { verificationId } = await send();
      const wrong = lastCode() === '000000' ? '000001' : '000000';
      const wrongs: Outcome[] = [];
      for (let i = 0; i < 5; i++) wrongs.push(await failure(verifyCode(deps, verificationId, wrong)));
      expect(wrongs.map(remaining)).toEqual(['4', '3', '2', '1', '0']);
      expect(wrongs.every((w) => w.reason === 'verification_invalid')).toBe(true);
      // A wrong code knows the attempts left: the message names them.
      expect(wrongs.map((w) => w.details?.params)).toEqual([[4], [3], [2], [1], [0]]);
      const e = await failure(verifyCode(deps, verificationId, lastCode()));
      expect([e.reason, remaining(e)]).toEqual(['verification_invalid', '0']);
      expect(e.details?.params).toBeUndefined();
    });

    it('allows exactly maxAttempts compares under 50 parallel wrong codes', async () => {
      const { verificationId } = await send();
      const wrong = lastCode() === '000000' ? '000001' : '000000';
      const results = await Promise.all(Array.from({ length: 50 }, () => failure(verifyCode(deps, verificationId, wrong))));
      expect(results.every((r) => r.reason === 'verification_invalid')).toBe(true);
      const left = results.map(remaining).sort();
      expect(left).toEqual([...Array(46).fill('0'), '1', '2', '3', '4']);
      expect((await failure(verifyCode(deps, verificationId, lastCode()))).reason).toBe('verification_invalid');
    });

    it('gives one token to one of many parallel right codes', async () => {
      const { verificationId } = await send();
      const results = await Promise.all(Array.from({ length: 10 }, () => failure(verifyCode(deps, verificationId, lastCode()))));
      expect(results.filter((r) => r.reason === 'ok')).toHaveLength(1);
    });

    it('refuses an expired code, an unknown or malformed id', async () => {
      const { verificationId } = await send();
      clock.advance(300_000);
      const refused = [
        await failure(verifyCode(deps, verificationId, lastCode())),
        await failure(verifyCode(deps, 'a'.repeat(32), '123456')),
        await failure(verifyCode(deps, '../x', '123456')),
      ];
      expect(refused.map(remaining)).toEqual(['0', '0', '0']);
      expect(refused.map((r) => r.reason)).toEqual(['verification_invalid', 'verification_invalid', 'verification_invalid']);
      expect(refused.map((r) => r.details?.params)).toEqual([undefined, undefined, undefined]);
      expect(refused.map((r) => r.details?.message)).toEqual(Array(3).fill('verification_invalid.expired'));
      // Without a count the message says nothing of attempts: the code is gone (HZERO's overdue).
      expect(messageFor('verification_invalid', 'zh-CN')).toBe('验证码失效，请重新获取');
      expect(messageFor('verification_invalid', 'en', [2])).toBe('The verification code is wrong, 2 attempts left.');
      expect([hzeroKeyFor('verification_invalid'), hzeroKeyFor('verification_invalid', [2])]).toEqual([
        'captcha.validate.overdue',
        'hoth.warn.captchaWrong',
      ]);
    });

    it('checks a code in one step for an expected tenant and destination; a mismatch is a wrong code', async () => {
      const { verificationId } = await send();
      const code = lastCode();
      const otherDest = await failure(checkCode(deps, verificationId, code, { tenantId: 't1', destination: '+8613900000000' }));
      expect([otherDest.reason, remaining(otherDest), otherDest.details?.params]).toEqual(['verification_invalid', '4', [4]]);
      const otherTenant = await failure(checkCode(deps, verificationId, code, { tenantId: 't2', destination: PHONE }));
      expect([otherTenant.reason, remaining(otherTenant), otherTenant.details?.params]).toEqual(['verification_invalid', '3', [3]]);
      await checkCode(deps, verificationId, code, { tenantId: 't1', destination: PHONE });
      const spent = await failure(checkCode(deps, verificationId, code, { tenantId: 't1', destination: PHONE }));
      expect([spent.reason, remaining(spent), spent.details?.params]).toEqual(['verification_invalid', '0', undefined]);
    });
  });

  describe('verification tokens', () => {
    const tokenFor = async (over: Partial<SendCodeRequest> = {}) => {
      const { verificationId } = await send(over);
      return (await verifyCode(deps, verificationId, lastCode())).verificationToken;
    };

    it('are single-use and bound to the tenant: a wrong tenant spends the token too', async () => {
      const t = await tokenFor();
      expect(await consumeVerificationToken(deps, t, { tenantId: 't2', usage: 'sign_in' })).toBeNull();
      expect(await consumeVerificationToken(deps, t, { tenantId: 't1', usage: 'sign_in' })).toBeNull();
      expect(await consumeVerificationToken(deps, '', { tenantId: 't1', usage: 'sign_in' })).toBeNull();
    });

    it('are accepted for their usage only', async () => {
      const bind = await tokenFor({ usage: 'change_contact' });
      expect(await consumeVerificationToken(deps, bind, { tenantId: 't1', usage: 'sign_in' })).toBeNull();
      clock.advance(60_000);
      const signUp = await tokenFor({ usage: 'sign_up' });
      expect(await consumeVerificationToken(deps, signUp, { tenantId: 't1', usage: 'reset_password' })).toBeNull();
      clock.advance(60_000);
      const any = await tokenFor({ usage: 'sign_in', channel: 'email', destination: 'u1@example.com' });
      expect(await consumeVerificationToken(deps, any, { tenantId: 't1', usage: 'sign_in' })).toEqual({
        channel: 'email',
        destination: 'u1@example.com',
        userType: 'P',
        userId: '',
      });
    });

    it('expire after 600 s', async () => {
      const t = await tokenFor();
      clock.advance(600_000);
      expect(await consumeVerificationToken(deps, t, { tenantId: 't1', usage: 'sign_in' })).toBeNull();
    });
  });
});
