// Sudo: the signed-in user proves it is still them (the password, or a code sent to their own
// contact) and gets a short-lived, single-use sudo token, which a password or contact change and
// a deletion then spend. The token is bound to the user AND the session that asked: another
// session of the same user (another device, a stolen refresh token) cannot spend it.
import { SignetError } from '../errors.js';
import type { Deps } from '../deps.js';
import { randomToken, sha256Hex } from '../crypto/secrets.js';
import type { BearerClaims } from '../sessions/bearer.js';
import { consumeVerificationToken } from '../defence/codes.js';
import { provePasswordAgain, signedInCaller, type Caller } from './reauth.js';
import { PASSWORD_CAPTCHA_STATES } from '../signin/password.js';

/** The captcha flows whose tokens sudo accepts before a password is compared. */
const SUDO_CAPTCHA_STATES = [...PASSWORD_CAPTCHA_STATES, 'POST:/v1/user/sudo'];

const SUDO = 'sudo';

export interface SudoCommand {
  accessToken: string;
  ip: string;
  password: string;
  verificationToken: string;
  captchaToken: string;
}

export interface SudoToken {
  sudoToken: string;
  expiresIn: number;
}

export async function sudo(deps: Deps, cmd: SudoCommand): Promise<SudoToken> {
  const caller = await signedInCaller(deps, cmd.accessToken, cmd.ip);
  await reauthenticate(deps, caller, cmd);
  return issueSudoToken(deps, caller);
}

/**
 * CloudBase's rule: a user with a phone number proves it with a code (sent with target CUR_USER
 * and usage SUDO: a code sent for signing in does not serve); any other user with the password,
 * or a code to their own e-mail address.
 */
async function reauthenticate(deps: Deps, c: Caller, cmd: SudoCommand): Promise<void> {
  if (c.user.phoneNumber || (cmd.verificationToken && !cmd.password)) {
    if (!cmd.verificationToken) throw new SignetError('phone_required', 'sudo_code_missing');
    const proof = await consumeVerificationToken(deps, cmd.verificationToken, { tenantId: c.tenant.id, usage: 'sudo' });
    if (proof?.userId !== c.user.id) throw new SignetError('invalid_grant', 'sudo_code_invalid');
    // A user with a phone proves it with the phone (CloudBase's rule), not with another contact.
    if (c.user.phoneNumber && proof.channel !== 'sms') throw new SignetError('invalid_grant', 'sudo_code_not_phone');
    return;
  }
  if (!cmd.password)
    throw new SignetError('invalid_argument', 'bad_password', {
      fieldViolations: [{ field: 'password', description: 'password or verification_token is required' }],
    });
  await provePasswordAgain(deps, c, cmd.password, cmd.ip, { token: cmd.captchaToken }, SUDO_CAPTCHA_STATES);
}

async function issueSudoToken(deps: Deps, c: Caller): Promise<SudoToken> {
  const token = randomToken(32);
  const ttl = deps.settings.sudoTtlSeconds;
  await deps.stores.oneTime.save(SUDO, sha256Hex(token), JSON.stringify({ userId: c.user.id, sessionId: c.claims.sid }), ttl);
  return { sudoToken: token, expiresIn: ttl };
}

/**
 * Spends a sudo token: it must be live, of this user and of this very session. Spent whatever
 * the outcome (whoever presents someone else's token already holds it). Refused as
 * permission_denied ("confirm your identity again").
 */
export async function spendSudoToken(deps: Deps, token: string, claims: BearerClaims): Promise<void> {
  const refuse = (detail: string) => new SignetError('permission_denied', detail, { message: 'permission_denied.sudo_required' });
  if (!token) throw refuse('sudo_token_missing');
  const raw = await deps.stores.oneTime.take(SUDO, sha256Hex(token));
  if (raw === null) throw refuse('sudo_token_unknown');
  let bound: { userId?: unknown; sessionId?: unknown };
  try {
    bound = JSON.parse(raw) as typeof bound;
  } catch {
    throw refuse('sudo_token_unreadable');
  }
  if (bound.userId !== claims.sub || bound.sessionId !== claims.sid) throw refuse('sudo_token_not_yours');
}
