// Verification codes: 6 digits sent by SMS or e-mail, exchanged for a verification token (CloudBase)
// or presented directly with the SMS grant (HZERO).
//
// The rules an attacker would test, and where each one holds:
// - sending: one send per destination per resendSeconds, dailyLimit per destination per 24 h, a
//   captcha from the 4th send in that window. One script checks and takes the slot, so parallel
//   requests cannot all slip through between a check and a write.
// - guessing: a code allows maxAttempts compares in total. Each attempt increments the counter
//   and compares in the same script, so 50 parallel guesses get exactly maxAttempts compares;
//   the last wrong one deletes the code, after which even the right code fails.
// - a dump of the store: codes are kept as HMACs, tokens as SHA-256, destinations only under an
//   HMAC. Each step is one atomic operation of the CodeStore (storage/kv/codes.ts).
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { Tenant, UserType } from '../model.js';
import type { StoredCode } from '../ports.js';
import type { Locale } from '../model.js';
import { SignetError, invalidArgument } from '../errors.js';
import { randomToken, sha256Hex } from '../crypto/secrets.js';
import { consumeCaptchaToken } from './captcha.js';
import { pacingOf } from './send-pacing.js';

/** Sends to one destination in the window before a captcha is needed (CloudBase's rule). */
export const CAPTCHA_AFTER_SENDS = 3;
/** The window of the daily limit: 24 h from the first send. */
export const SEND_WINDOW_SECONDS = 86400;
export const VERIFICATION_TOKEN_TTL_SECONDS = 600;
/** The captcha flow the CloudBase SDK names for POST /v1/verification. */
export const CODE_CAPTCHA_STATES = ['POST:/v1/verification'];

type Channel = 'sms' | 'email';

/**
 * What a code may be spent on. A verification token is accepted only by the flow of its usage, so
 * a code phished "to sign in" cannot reset a password or take over a contact.
 */
export type CodeUsage = 'sign_in' | 'sign_up' | 'reset_password' | 'change_contact' | 'sudo';

/** The usages as clients spell them (CloudBase's SDK enum and Signet's own), lower-cased. */
const USAGE_ALIASES: Record<string, CodeUsage> = {
  // A code sent without a usage signs in and nothing else: the one flow it always served.
  '': 'sign_in',
  sign_in: 'sign_in',
  sign_up: 'sign_up',
  register: 'sign_up',
  reset_password: 'reset_password',
  password_reset: 'reset_password',
  change_contact: 'change_contact',
  bind_contact: 'change_contact',
  bind_phone: 'change_contact',
  bind_email: 'change_contact',
  email_address_change: 'change_contact',
  phone_number_change: 'change_contact',
  sudo: 'sudo',
};

/** The canonical usage of what a request says, or invalid_argument naming the accepted ones. */
export function readCodeUsage(value: string): CodeUsage {
  const key = value.trim().toLowerCase();
  if (!Object.hasOwn(USAGE_ALIASES, key))
    throw invalidArgument('usage', 'must be SIGN_IN, SIGN_UP (REGISTER), RESET_PASSWORD (PASSWORD_RESET), CHANGE_CONTACT or SUDO');
  return USAGE_ALIASES[key];
}

const mac = (deps: Deps, ...parts: string[]) => createHmac('sha256', deps.hmacKey).update(parts.join('\n')).digest('hex');
const codeMac = (deps: Deps, id: string, code: string) => mac(deps, 'code', id, code);
/** What the store knows a destination by. */
const destinationTag = (deps: Deps, channel: Channel, destination: string) => mac(deps, 'destination', channel, destination);
/** Verification ids are ours: 32 hex. Anything else is unknown without asking the store. */
const VERIFICATION_ID = /^[0-9a-f]{32}$/;

export interface SendCodeRequest {
  tenant: Tenant;
  userType: UserType;
  channel: Channel;
  /** Already normalised: E.164 or a lower-cased e-mail address. */
  destination: string;
  /**
   * 'USER': only to an existing user (`not_found` otherwise). 'NOT_USER': only when no account
   * holds the destination (`already_exists` otherwise). 'CUR_USER': the signed-in user's own
   * contact (the endpoint resolved it; `userId` is recorded in the code and its token).
   */
  target: CodeTarget;
  /** CUR_USER: the signed-in user the code is for. */
  userId?: string;
  usage: CodeUsage;
  captchaToken?: string;
  locale: Locale;
  ip: string;
  clientId: string;
}

export type CodeTarget = 'ANY' | 'USER' | 'NOT_USER' | 'CUR_USER';

export interface SentCode {
  verificationId: string;
  isUser: boolean;
  expiresIn: number;
}

export async function sendCode(deps: Deps, req: SendCodeRequest): Promise<SentCode> {
  const ttl = deps.settings.codes.ttlSeconds;
  const field = req.channel === 'sms' ? 'phone' : 'email';
  const user = await deps.storage.users.findByLogin(req.tenant.id, req.userType, field, req.destination);
  const hide = req.tenant.policy.hideUnknownUsers === true;
  if (!user && req.target === 'USER' && !hide) {
    throw new SignetError('not_found', 'destination_unknown', { message: req.channel === 'sms' ? 'not_found.phone' : 'not_found.email' });
  }
  if (user && req.target === 'NOT_USER' && !hide)
    throw new SignetError('already_exists', 'destination_taken', { message: 'already_exists.contact_taken' });
  // Hidden unknown user (USER) or hidden holder (NOT_USER): everything happens as for a code that
  // is sent (limits, a stored code that counts attempts) except the message, and the stored code
  // can never verify, so neither the answer nor later calls tell the difference.
  const suppress = (!user && req.target === 'USER') || (user !== null && req.target === 'NOT_USER');
  const destination = destinationTag(deps, req.channel, req.destination);
  const slot = randomToken(12);
  await reserveSend(deps, req, destination, slot);

  const id = randomBytes(16).toString('hex');
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const stored: StoredCode = {
    mac: suppress ? randomBytes(32).toString('hex') : codeMac(deps, id, code),
    tenantId: req.tenant.id,
    userType: req.userType,
    channel: req.channel,
    destination: req.destination,
    usage: req.usage,
    userId: req.target === 'CUR_USER' ? (req.userId ?? '') : '',
  };
  await deps.stores.codes.saveCode(id, stored, ttl);
  const pacing = pacingOf(deps.sender);
  if (suppress) {
    // A real timer, not the clock: the wait must be felt by whoever times the answer.
    await new Promise((resolve) => setTimeout(resolve, pacing.waitMs()));
  } else {
    try {
      const started = deps.clock.now();
      await deps.sender.send({
        channel: req.channel,
        to: req.destination,
        code,
        usage: req.usage,
        tenantId: req.tenant.id,
        expiresInSeconds: ttl,
        locale: req.locale,
      });
      pacing.observe(deps.clock.now() - started);
    } catch (err) {
      await deps.stores.codes.releaseSend(destination, slot);
      await deps.stores.codes.deleteCode(id);
      throw new SignetError(
        'unavailable',
        'code_send_failed',
        { metadata: { sender: deps.sender.name }, message: 'unavailable.code_send' },
        err,
      );
    }
  }
  deps.audit.record({
    event: suppress ? 'code_suppressed' : 'code_sent',
    tenantId: req.tenant.id,
    clientId: req.clientId,
    ip: req.ip,
    reason: req.channel,
  });
  // With hide_unknown_users, is_user would tell what the policy hides: it is always true then.
  return { verificationId: id, isUser: hide || user !== null, expiresIn: ttl };
}

async function reserveSend(deps: Deps, req: SendCodeRequest, destination: string, slot: string): Promise<void> {
  const s = deps.settings.codes;
  const run = (captchaSolved: boolean) =>
    deps.stores.codes.reserveSend(destination, slot, {
      resendSeconds: s.resendSeconds,
      dailyLimit: s.dailyLimit,
      windowSeconds: SEND_WINDOW_SECONDS,
      captchaAfter: CAPTCHA_AFTER_SENDS,
      captchaSolved,
    });
  let r = await run(false);
  if (r.outcome === 'captcha') {
    // Only now is the captcha token spent: a token sent along "just in case" survives.
    if (!req.captchaToken) throw new SignetError('captcha_required', 'code_captcha_missing');
    if (!(await consumeCaptchaToken(deps, req.captchaToken, CODE_CAPTCHA_STATES)))
      throw new SignetError('captcha_invalid', 'code_captcha_invalid');
    r = await run(true);
  }
  if (r.outcome === 'gap' || r.outcome === 'day') {
    const gap = r.outcome === 'gap';
    const wait = r.retryAfterSeconds;
    throw new SignetError('resource_exhausted', 'code_send_limited', {
      retryAfterSeconds: wait,
      metadata: { scope: gap ? 'code_resend' : 'code_daily' },
      // "Wait {0} s" for the resend gap; the daily limit names no wait (it ends tomorrow).
      ...(gap
        ? { message: 'resource_exhausted.code_resend' as const, params: [wait] }
        : { message: 'resource_exhausted.code_daily' as const }),
    });
  }
}

/**
 * One compare of a code; the record when it was right, else `verification_invalid` with attempts
 * left. Not `captcha_invalid`: the CloudBase SDK answers that one with an image captcha and a
 * retry of the request, which would spend a second attempt on the same typo.
 */
async function check(
  deps: Deps,
  verificationId: string,
  code: string,
  expect: { tenantId: string; destination: string },
): Promise<StoredCode> {
  // A wrong code knows the attempts left (the message then names them); a burned, unknown or
  // expired one answers 0 in the metadata and the message without a count.
  const invalid = (left: number, known: boolean) =>
    new SignetError('verification_invalid', known ? 'code_wrong' : 'code_unknown', {
      metadata: { limit_remaining: String(left) },
      ...(known ? { params: [left] } : { message: 'verification_invalid.expired' as const }),
    });
  if (!VERIFICATION_ID.test(verificationId)) throw invalid(0, false);
  const s = deps.settings.codes;
  const r = await deps.stores.codes.checkCode(
    verificationId,
    { mac: codeMac(deps, verificationId, code), ...expect },
    s.maxAttempts,
    s.ttlSeconds,
  );
  if (r.outcome === 'ok') return r.code;
  if (r.outcome === 'wrong') throw invalid(r.attemptsLeft, true);
  throw invalid(0, false);
}

export interface VerificationToken {
  verificationToken: string;
  expiresIn: number;
}

/** CloudBase's verification/verify: a right code becomes a single-use verification token. */
export async function verifyCode(deps: Deps, verificationId: string, code: string): Promise<VerificationToken> {
  const { mac: _, ...verified } = await check(deps, verificationId, code, { tenantId: '', destination: '' });
  const token = randomToken(32);
  await deps.stores.codes.saveToken(sha256Hex(token), verified, VERIFICATION_TOKEN_TTL_SECONDS);
  return { verificationToken: token, expiresIn: VERIFICATION_TOKEN_TTL_SECONDS };
}

/** HZERO's one step (SMS grant): the code must have been sent to `destination` for this tenant. */
export async function checkCode(
  deps: Deps,
  verificationId: string,
  code: string,
  expect: { tenantId: string; destination: string },
): Promise<VerifiedDestination & { usage: string }> {
  const r = await check(deps, verificationId, code, expect);
  return { channel: r.channel, destination: r.destination, userType: r.userType, usage: r.usage, userId: r.userId };
}

export interface VerifiedDestination {
  channel: Channel;
  destination: string;
  userType: UserType;
  /** The signed-in user a CUR_USER code was sent for; '' for any other code. */
  userId: string;
}

/**
 * Spends a verification token. Null when unknown, expired, spent, of another tenant, or (when
 * `expect.usage` is given) issued for another usage; a code sent without a usage serves any.
 */
export async function consumeVerificationToken(
  deps: Deps,
  token: string,
  expect: { tenantId: string; usage: CodeUsage },
): Promise<VerifiedDestination | null> {
  if (!token) return null;
  const r = await deps.stores.codes.takeToken(sha256Hex(token));
  if (r === null) return null;
  if (r.tenantId !== expect.tenantId) return null;
  // Codes stored before usages were canonical carry '' and served sign-in only.
  if ((r.usage || 'sign_in') !== expect.usage) return null;
  return { channel: r.channel, destination: r.destination, userType: r.userType, userId: r.userId ?? '' };
}
