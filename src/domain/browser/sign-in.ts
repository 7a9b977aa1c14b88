// Signing in on the hosted login page: the same steps as the API's sign-ins (rate limits first,
// the one password check with its lockout and captcha, code checks, audit), ending in a browser
// session instead of tokens. The client is the authorization request's, already trusted.
import type { Deps } from '../deps.js';
import type { CaptchaProof } from '../commands.js';
import type { AuditEventInput } from '../ports.js';
import { SignetError, invalidArgument } from '../errors.js';
import type { ClientContext } from '../accounts/clients.js';
import { readIdentifier } from '../accounts/identity.js';
import { effectivePolicy } from '../defence/policy.js';
import { admitted, beginChecks } from '../defence/request-checks.js';
import { createCaptchaChallenge, verifyCaptcha } from '../defence/captcha.js';
import { readDestination } from '../defence/endpoints.js';
import { sendCode, type CodeUsage, type SentCode } from '../defence/codes.js';
import { obtainPassword } from '../signin/encrypted-password.js';
import { auditedSignIn, byLogin, provePassword } from '../signin/password.js';
import { checkSignInCode } from '../signin/sign-in.js';
import { findVerifiedUser } from '../signin/code.js';
import { checkUsable, readUserType } from '../signin/rules.js';
import type { Locale, Tenant } from '../model.js';
import { startBrowserSession, type StartedBrowserSession } from './sso.js';

/** The page's captcha: the challenge shown and the answer typed. */
const PAGE_CAPTCHA_STATES: string[] = [];

export interface PagePasswordSignIn {
  cc: ClientContext;
  /** Username, e-mail address or phone number, as typed. */
  login: string;
  /** As typed, or its RSA ciphertext when the client asks for RSA transport. */
  password: string;
  captcha: CaptchaProof;
  ip: string;
}

export async function signInWithPasswordAtPage(deps: Deps, cmd: PagePasswordSignIn): Promise<StartedBrowserSession> {
  const { cc } = cmd;
  const checks = beginChecks(deps, cmd.ip, cc.client.id);
  return admitted(checks, async () => {
    const audit: AuditEventInput = { event: 'sign_in', tenantId: cc.tenant.id, clientId: cc.client.id, ip: cmd.ip };
    return auditedSignIn(deps, audit, 'hosted_password', async () => {
      // A tenant that wants a code on top of the password: the page offers code sign-in instead,
      // refused here before the password costs a hash.
      if (effectivePolicy(cc.tenant.policy).secondFactor !== 'off') throw new SignetError('phone_required', 'second_factor_page');
      if (!cmd.login.trim()) throw invalidArgument('username', 'enter your username, e-mail address or phone number');
      if (!cmd.password) throw invalidArgument('password', 'password is required');
      const userType = readUserType('');
      const id = readIdentifier({ username: cmd.login });
      return obtainPassword(deps, cc.client, { kind: 'field', value: cmd.password }, checks, async (p) => {
        const user = await provePassword(
          deps,
          cc.tenant,
          {
            ...byLogin(deps, cc.tenant.id, userType, id),
            password: p.password,
            ip: cmd.ip,
            captcha: cmd.captcha,
            captchaStates: PAGE_CAPTCHA_STATES,
          },
          checks,
          audit,
        );
        return startBrowserSession(deps, { tenant: cc.tenant, client: cc.client, user, amr: ['pwd'], provedHash: user.passwordHash });
      });
    });
  });
}

export interface PageCodeRequest {
  cc: ClientContext;
  /** A phone number or an e-mail address, as typed. */
  to: string;
  usage: CodeUsage;
  /** Needed once the destination had a few codes (the answer says captcha_required). */
  captcha: CaptchaProof;
  locale: Locale;
  ip: string;
}

/** Sends a sign-in or reset code to an account's phone or e-mail (sendCode's pacing and captcha). */
export async function sendCodeAtPage(deps: Deps, cmd: PageCodeRequest): Promise<SentCode> {
  await deps.limiter.checkRequest(cmd.ip, cmd.cc.client.id);
  const to = destinationOf(cmd.to);
  const captchaToken = cmd.captcha.key && cmd.captcha.answer ? await captchaTokenOf(deps, cmd.captcha) : undefined;
  return sendCode(deps, {
    tenant: cmd.cc.tenant,
    userType: readUserType(''),
    channel: to.channel,
    destination: to.destination,
    target: 'USER',
    usage: cmd.usage,
    captchaToken,
    locale: cmd.locale,
    ip: cmd.ip,
    clientId: cmd.cc.client.id,
  });
}

export interface PageCodeSignIn {
  cc: ClientContext;
  verificationId: string;
  code: string;
  ip: string;
}

export async function signInWithCodeAtPage(deps: Deps, cmd: PageCodeSignIn): Promise<StartedBrowserSession> {
  const { cc } = cmd;
  const checks = beginChecks(deps, cmd.ip, cc.client.id);
  return admitted(checks, async () => {
    const audit: AuditEventInput = { event: 'sign_in', tenantId: cc.tenant.id, clientId: cc.client.id, ip: cmd.ip };
    return auditedSignIn(deps, audit, 'hosted_code', async () => {
      if (!cmd.verificationId) throw invalidArgument('verification_id', 'send a code first');
      if (!cmd.code.trim()) throw invalidArgument('verification_code', 'enter the code you received');
      await checks.limits();
      const sent = await checkSignInCode(deps, cc.tenant.id, cmd.verificationId, cmd.code.trim());
      const user = await findVerifiedUser(deps, cc.tenant, sent.userType, sent.channel === 'sms' ? 'phone' : 'email', sent.destination);
      audit.userId = user.id;
      checkUsable(user, deps.now());
      // RFC 8176 has "sms"; for a code by e-mail, "otp" (a one-time password) is the nearest.
      const amr = [sent.channel === 'sms' ? 'sms' : 'otp'];
      return startBrowserSession(deps, { tenant: cc.tenant, client: cc.client, user, amr });
    });
  });
}

/** A phone number or an e-mail address typed into one field. */
export function destinationOf(typed: string): { channel: 'sms' | 'email'; destination: string } {
  const t = typed.trim();
  return t.includes('@') ? readDestination('', t) : readDestination(t, '');
}

async function captchaTokenOf(deps: Deps, c: CaptchaProof): Promise<string> {
  const t = await verifyCaptcha(deps, c.key!, c.answer!);
  return t.captchaToken;
}

/** A captcha for the page to show (a render and a stored challenge: rate-limited like a request). */
export async function pageCaptcha(deps: Deps, ip: string): Promise<{ key: string; svg: string }> {
  await deps.limiter.checkRequest(ip, '');
  const c = await createCaptchaChallenge(deps, { state: 'hosted_page' });
  return { key: c.token, svg: c.svg };
}

/** Whether the page shows the captcha with the password form, before or after a refusal. */
export function pageWantsCaptcha(tenant: Tenant, refusal: { reason: string; failedAttempts: number } | null): boolean {
  const policy = effectivePolicy(tenant.policy);
  if (policy.alwaysCaptcha) return true;
  if (!refusal) return false;
  if (refusal.reason === 'captcha_required' || refusal.reason === 'captcha_invalid') return true;
  return policy.captchaAfterFailures > 0 && refusal.failedAttempts >= policy.captchaAfterFailures;
}
