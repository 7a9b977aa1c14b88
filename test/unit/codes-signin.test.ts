// Signing in with a code: SignIn with a verification token (CloudBase) and the SMS grant (HZERO).
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeDeps, fakeSender, storedAuditEvents } from '../helpers/fakes.js';
import * as admin from '../../src/domain/accounts/admin.js';
import { SignetError } from '../../src/domain/errors.js';
import type { Tenant, User } from '../../src/domain/model.js';
import type { ClientContext } from '../../src/domain/accounts/clients.js';
import { sendCode, verifyCode, type SendCodeRequest } from '../../src/domain/defence/codes.js';
import { createCaptchaChallenge, verifyCaptcha } from '../../src/domain/defence/captcha.js';
import { signInWithVerificationToken } from '../../src/domain/signin/code.js';
import { GRANTS, token as tokenEndpoint } from '../../src/domain/tokens/token.js';
import { tokenCmd, userInput as baseUserInput } from '../helpers/commands.js';

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

describe('sign-in with a code', () => {
  let deps: D;
  let sender: ReturnType<typeof fakeSender>;
  let t1: Tenant;
  let user: User;
  let secret: string;
  let cc: ClientContext;
  let n = 0;

  const userInput = (over: Partial<admin.UserInput>) => baseUserInput({ groups: ['g'], ...over });
  /** Sends a code; send limits are not under test here (no gap, and a captcha from the 4th send). */
  const codeFor = async (over: Partial<SendCodeRequest> = {}) => {
    deps.settings.codes = { ...deps.settings.codes, resendSeconds: 0, dailyLimit: 1000 };
    const challenge = await createCaptchaChallenge(deps, { state: 'POST:/v1/verification' }, () => ({ text: 'abcd', svg: '' }));
    const { captchaToken } = await verifyCaptcha(deps, challenge.token, 'abcd');
    const r = await sendCode(deps, {
      tenant: t1,
      userType: 'P',
      channel: 'sms',
      destination: PHONE,
      target: 'ANY',
      usage: 'sign_in',
      locale: 'en',
      ip: '',
      clientId: 'web',
      captchaToken,
      ...over,
    });
    n++;
    return { id: r.verificationId, code: sender.sent[sender.sent.length - 1].code };
  };
  const tokenFor = async (over: Partial<SendCodeRequest> = {}) => {
    const { id, code } = await codeFor(over);
    return (await verifyCode(deps, id, code)).verificationToken;
  };
  const signIn = (token: string, over: { username?: string; phone_number?: string; user_type?: string } = {}, ctx = cc) =>
    signInWithVerificationToken(deps, ctx, {
      verificationToken: token,
      deviceId: 'dev',
      ip: '10.0.0.2',
      scope: '',
      sourceType: '',
      userType: over.user_type ?? '',
      identifier: { username: over.username, phoneNumber: over.phone_number },
    });
  /**
   * From now on, the ids of the sessions stored: the storage port's successful start() calls (no
   * port lists a user's sessions), each read back through the port.
   */
  const sessionStarts = () => {
    const start = vi.spyOn(deps.storage.sessions, 'start');
    return async () => {
      const ids = start.mock.calls.filter((_, i) => start.mock.settledResults[i]?.type === 'fulfilled').map(([s]) => s.id);
      for (const id of ids) expect(await deps.storage.sessions.get(id)).not.toBeNull();
      return ids;
    };
  };
  const sms = (over: Record<string, string> = {}, grant = 'sms') =>
    tokenEndpoint(deps, tokenCmd({ grant_type: grant, client_id: 'app', client_secret: secret, ...over }, ''));

  beforeEach(async () => {
    deps = await fakeDeps();
    sender = fakeSender();
    deps.sender = sender;
    n = 0;
    t1 = await admin.createTenant(deps, 't1', 'T1', {});
    await admin.createTenant(deps, 't2', 'T2', {});
    const web = await admin.createClient(deps, {
      id: 'web',
      tenantId: 't1',
      name: 'web',
      public: true,
      grantTypes: ['password'],
      scopes: ['openid', 'user'],
      accessTokenTtl: 0,
      refreshTokenTtl: 0,
      maxSessions: 2,
    });
    cc = { client: web.client, tenant: t1 };
    ({ secret } = await admin.createClient(deps, {
      id: 'app',
      tenantId: 't1',
      name: 'app',
      public: false,
      grantTypes: ['sms', 'refresh_token'],
      scopes: ['openid', 'user'],
      accessTokenTtl: 0,
      refreshTokenTtl: 0,
      maxSessions: 2,
    }));
    user = await admin.createUser(deps, userInput({ username: 'u1', email: 'u1@example.com', phoneNumber: PHONE }));
    await admin.createUser(deps, userInput({ username: 'u2', phoneNumber: '+8613800000002' }));
  });

  describe('SignIn with a verification token', () => {
    it('signs in the user who owns the phone, once per token, and audits it', async () => {
      const token = await tokenFor();
      const starts = sessionStarts();
      const t = await signIn(token, { phone_number: '+86 138 0000 0000' });
      expect(t.sub).toBe(user.id);
      expect(t.refreshToken).not.toBe('');
      expect(await starts()).toHaveLength(1);
      expect((await failure(signIn(token))).reason).toBe('invalid_grant');
      await deps.audit.flush();
      const events = await storedAuditEvents(deps.storage);
      expect(events.map((e) => [e.event, e.reason])).toContainEqual(['sign_in', 'verification_code']);
      expect(events.find((e) => e.event === 'sign_in')).toMatchObject({ userId: user.id, clientId: 'web', ip: '10.0.0.2' });
    });

    it('signs in by e-mail', async () => {
      const t = await signIn(await tokenFor({ channel: 'email', destination: 'u1@example.com', usage: 'sign_in' }), { username: 'u1' });
      expect(t.sub).toBe(user.id);
    });

    it('refuses a token for another usage or tenant, and an identifier naming someone else', async () => {
      const starts = sessionStarts();
      expect((await failure(signIn(await tokenFor({ usage: 'change_contact' })))).reason).toBe('invalid_grant');
      const t2 = (await admin.getTenant(deps, 't2'))!;
      expect((await failure(signIn(await tokenFor({ tenant: t2 })))).reason).toBe('invalid_grant');
      expect(await failure(signIn(await tokenFor(), { username: 'u2' }))).toMatchObject({ reason: 'invalid_grant' });
      expect(await failure(signIn(await tokenFor(), { user_type: 'C' }))).toMatchObject({ reason: 'invalid_grant' });
      expect(await failure(signIn('not-a-token'))).toMatchObject({ reason: 'invalid_grant' });
      expect(await starts()).toHaveLength(0);
    });

    it('answers not_found for a destination without a user, invalid_grant when the tenant hides that', async () => {
      expect((await failure(signIn(await tokenFor({ destination: '+8613900000000' })))).reason).toBe('not_found');
      await admin.updateTenant(deps, 't1', { policy: { hideUnknownUsers: true } });
      t1 = (await admin.getTenant(deps, 't1'))!;
      cc = { ...cc, tenant: t1 };
      expect((await failure(signIn(await tokenFor({ destination: '+8613900000001' })))).reason).toBe('invalid_grant');
    });

    it('tells account state after the token, and refuses a client without the user scope before spending it', async () => {
      await admin.updateUser(deps, user.id, { status: 'blocked' });
      expect((await failure(signIn(await tokenFor()))).reason).toBe('user_blocked');
      const token = await tokenFor({ destination: '+8613800000002' });
      const noUser = { ...cc, client: { ...cc.client, scopes: ['openid'] } };
      expect((await failure(signIn(token, {}, noUser))).reason).toBe('permission_denied');
      expect((await signIn(token)).sub).not.toBe(user.id);
    });
  });

  describe('the sms grant (alias implicit)', () => {
    it("is the sms grant under HZERO's name, which the transport maps", () => {
      expect(GRANTS.sms).toBeDefined();
      expect(tokenCmd({ grant_type: 'implicit' }).grantType).toBe('sms');
    });

    it('issues tokens for the phone and the code sent to it, under either name', async () => {
      for (const grant of ['sms', 'implicit']) {
        const { id, code } = await codeFor();
        const t = await sms({ phone: '13800000000', captcha: code, captcha_key: id }, grant);
        expect(t.sub).toBe(user.id);
        expect(t.refreshToken).not.toBe('');
      }
      expect(n).toBe(2);
    });

    it('names the missing field', async () => {
      for (const [field, req] of [
        ['phone', { captcha: '123456', captcha_key: 'a'.repeat(32) }],
        ['captcha', { phone: PHONE, captcha_key: 'a'.repeat(32) }],
        ['captcha_key', { phone: PHONE, captcha: '123456' }],
      ] as const) {
        const e = await failure(sms(req));
        expect(e.reason).toBe('invalid_argument');
        expect(e.details?.fieldViolations?.[0].field).toBe(field);
      }
    });

    it('needs the grant on the client and the client secret', async () => {
      const { id, code } = await codeFor();
      await admin.updateClient(deps, 'app', { grantTypes: ['refresh_token'] });
      expect((await failure(sms({ phone: PHONE, captcha: code, captcha_key: id }))).reason).toBe('permission_denied');
      await admin.updateClient(deps, 'app', { grantTypes: ['sms'] });
      secret = 'wrong';
      expect((await failure(sms({ phone: PHONE, captcha: code, captcha_key: id }))).reason).toBe('unauthorized_client');
    });

    it('counts a code of another number as a wrong code, and burns it at the 5th', async () => {
      const { id, code } = await codeFor();
      const other = await failure(sms({ phone: '+8613800000002', captcha: code, captcha_key: id }));
      expect([other.reason, other.details?.metadata?.limit_remaining, other.details?.params]).toEqual(['verification_invalid', '4', [4]]);
      for (let i = 3; i >= 0; i--) {
        const e = await failure(sms({ phone: PHONE, captcha: code === '000000' ? '000001' : '000000', captcha_key: id }));
        expect(e.details?.metadata?.limit_remaining).toBe(String(i));
        expect([e.reason, e.details?.params]).toEqual(['verification_invalid', [i]]);
      }
      const burned = await failure(sms({ phone: PHONE, captcha: code, captcha_key: id }));
      expect([burned.reason, burned.details?.metadata?.limit_remaining, burned.details?.params]).toEqual([
        'verification_invalid',
        '0',
        undefined,
      ]);
    });

    it('answers not_found for a phone without a user, and account state after the code', async () => {
      const { id, code } = await codeFor({ destination: '+8613900000000' });
      expect((await failure(sms({ phone: '+8613900000000', captcha: code, captcha_key: id }))).reason).toBe('not_found');
      await admin.updateUser(deps, user.id, { status: 'pending' });
      const c = await codeFor();
      expect((await failure(sms({ phone: PHONE, captcha: c.code, captcha_key: c.id }))).reason).toBe('user_pending');
    });
  });
});
