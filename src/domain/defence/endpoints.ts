// The captcha and verification-code endpoints (GetCaptcha, VerifyCaptcha, SendVerification,
// VerifyVerification). Each counts the request against the rate limits before it costs anything;
// the rules themselves are in captcha.ts and codes.ts.
import type { Deps } from '../deps.js';
import type { ClientCall, GetCaptchaCommand, SendVerificationCommand } from '../commands.js';
import { SignetError, invalidArgument } from '../errors.js';
import { authenticateClient, type ClientContext } from '../accounts/clients.js';
import { EMAIL, normalizeEmail, normalizePhone } from '../accounts/identity.js';
import { authenticateBearer } from '../sessions/bearer.js';
import { readUserType } from '../signin/rules.js';
import { createCaptcha, verifyCaptcha, type CaptchaData, type CaptchaToken } from './captcha.js';
import { readCodeUsage, sendCode, verifyCode, type CodeTarget, type SentCode, type VerificationToken } from './codes.js';
import { currentUser } from '../sessions/bearer.js';
import type { User } from '../model.js';

const MAX_STATE = 256;

export async function getCaptcha(deps: Deps, cmd: GetCaptchaCommand): Promise<CaptchaData> {
  const state = required(cmd.state, 'state', MAX_STATE);
  await identifyClient(deps, cmd);
  return createCaptcha(deps, { state });
}

export async function answerCaptcha(deps: Deps, cmd: { ip: string; token: string; answer: string }): Promise<CaptchaToken> {
  required(cmd.token, 'token');
  required(cmd.answer, 'key');
  await deps.limiter.checkRequest(cmd.ip, '');
  return verifyCaptcha(deps, cmd.token, cmd.answer);
}

export async function sendVerification(deps: Deps, cmd: SendVerificationCommand): Promise<SentCode> {
  const target = readTarget(cmd.target);
  const given = target === 'CUR_USER' && !cmd.phoneNumber.trim() && !cmd.email.trim() ? null : readDestination(cmd.phoneNumber, cmd.email);
  let userType = readUserType(cmd.userType);
  const usage = readCodeUsage(cmd.usage);
  const cc = await identifyClient(deps, cmd);
  let to = given;
  let userId: string | undefined;
  if (target === 'CUR_USER') {
    const me = await currentUserOf(deps, cmd.accessToken, cc.tenant.id);
    to = ownDestination(me, given);
    userType = me.userType;
    userId = me.id;
  }
  const { channel, destination } = to!;
  return sendCode(deps, {
    tenant: cc.tenant,
    userType,
    channel,
    destination,
    target,
    userId,
    usage,
    captchaToken: cmd.captchaToken || undefined,
    locale: cmd.locale,
    ip: cmd.ip,
    clientId: cc.client.id,
  });
}

export async function verifyVerification(
  deps: Deps,
  cmd: { ip: string; verificationId: string; code: string },
): Promise<VerificationToken> {
  required(cmd.verificationId, 'verification_id');
  required(cmd.code, 'verification_code', 16);
  await deps.limiter.checkRequest(cmd.ip, '');
  return verifyCode(deps, cmd.verificationId, cmd.code);
}

/**
 * The client of the call, counted against the rate limits first: the client id named, else the
 * client of the access token presented. No secret is asked: these calls come from browsers.
 */
export async function identifyClient(deps: Deps, call: ClientCall): Promise<ClientContext> {
  const creds = { ...call.client };
  if (!creds.clientId && call.accessToken) creds.clientId = (await authenticateBearer(deps, call.accessToken)).client_id;
  await deps.limiter.checkRequest(call.ip, creds.clientId);
  return authenticateClient(deps.directory, creds, false);
}

function required(value: string, field: string, max = 128): string {
  if (!value) throw invalidArgument(field, `${field} is required`);
  if (value.length > max) throw invalidArgument(field, `at most ${max} characters`);
  return value;
}

const TARGETS: readonly CodeTarget[] = ['ANY', 'USER', 'NOT_USER', 'CUR_USER'];

function readTarget(v: string): CodeTarget {
  const t = v.trim().toUpperCase() || 'ANY';
  if (!TARGETS.includes(t as CodeTarget)) throw invalidArgument('target', 'must be ANY, USER, NOT_USER or CUR_USER');
  return t as CodeTarget;
}

/** The signed-in user of a CUR_USER send: the access token is required, and of this tenant. */
async function currentUserOf(deps: Deps, accessToken: string, tenantId: string): Promise<User> {
  const me = await currentUser(deps, accessToken);
  if (me.tenantId !== tenantId) throw new SignetError('permission_denied', 'tenant_mismatch');
  return me;
}

type Destination = { channel: 'sms' | 'email'; destination: string };

/**
 * Where a CUR_USER code goes: the user's phone (else e-mail) when the request names none; a
 * destination named must be the user's own, so the code proves that contact, not any.
 */
function ownDestination(me: User, given: Destination | null): Destination {
  if (!given) {
    if (me.phoneNumber) return { channel: 'sms', destination: me.phoneNumber };
    if (me.email) return { channel: 'email', destination: me.email };
    throw new SignetError('invalid_status', 'user_without_contact');
  }
  const own = given.channel === 'sms' ? me.phoneNumber : me.email;
  if (own !== given.destination) throw new SignetError('permission_denied', 'destination_not_own');
  return given;
}

export function readDestination(phoneNumber: string, emailAddress: string): { channel: 'sms' | 'email'; destination: string } {
  const phone = phoneNumber.trim();
  const email = emailAddress.trim();
  if (phone && email) throw invalidArgument('phone_number', 'give only one of phone_number or email');
  if (phone) return { channel: 'sms', destination: normalizePhone(phone) };
  if (!email) throw invalidArgument('phone_number', 'one of phone_number or email is required', 'invalid_argument.destination_missing');
  if (email.length > 254 || !EMAIL.test(email))
    throw invalidArgument('email', 'not a valid e-mail address', 'invalid_argument.email_format');
  return { channel: 'email', destination: normalizeEmail(email) };
}
