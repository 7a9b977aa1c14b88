// The one password sign-in path: SignIn, the token endpoint's password grant, CloudBase's
// encrypted sign-in and HZERO's token route all end here once their endpoint has admitted the
// request, authenticated the client, checked its grant and obtained the password. The order of
// the steps decides what an attacker can learn and what a guess costs; read it top to bottom.
import { SignetError, invalidArgument, isSignetError } from '../errors.js';
import type { Deps } from '../deps.js';
import type { Tenant, User, UserType } from '../model.js';
import type { ClientContext } from '../accounts/clients.js';
import { grantScope } from '../accounts/clients.js';
import type { CaptchaProof, IdentifierInput } from '../commands.js';
import { readIdentifier, type Identifier } from '../accounts/identity.js';
import { startSession } from '../sessions/start.js';
import { AMR } from '../sessions/amr.js';
import type { IssuedTokens } from '../tokens/mint.js';
import type { AuditEventInput } from '../ports.js';
import { effectivePolicy, type EffectivePolicy } from '../defence/policy.js';
import { lockedError, type Subject } from '../defence/lockout.js';
import { captchaDueFor, failureSubject, identifierKey } from '../defence/gate.js';
import { answerCaptcha, consumeCaptchaToken } from '../defence/captcha.js';
import { consumeVerificationToken } from '../defence/codes.js';
import { admitAndReserve, isRateLimited, refuseKnownBeforeLookup, type Admission } from '../defence/request-checks.js';
import { checkUsable, readChannel, readUserType } from './rules.js';

/** Captcha flows a password sign-in accepts a token of (CloudBase names them after the route). */
export const PASSWORD_CAPTCHA_STATES = ['POST:/v1/signin', 'POST:/v1/token'];

/** One password attempt, as its endpoint hands it over: the password already in clear. */
export interface PasswordAttempt {
  identifier: IdentifierInput;
  password: string;
  userType: string;
  scope: string;
  sourceType: string;
  deviceId: string;
  ip: string;
  /** A verification token proving the user's phone, for a second-factor policy. */
  verificationToken: string;
  captcha: CaptchaProof;
  /** The captcha states (flows) whose tokens this sign-in accepts. */
  captchaStates: string[];
  /** How the sign-in arrived ("signin", "password", …), for the audit trail. */
  method: string;
  /**
   * Answer an unknown user as a tenant that hides unknown users does, whatever this tenant says
   * (an encrypted sign-in whose params held no sign-in: see readEncryptedParams).
   */
  hideUnknownUser?: boolean;
}

export async function passwordSignIn(deps: Deps, cc: ClientContext, a: PasswordAttempt, checks: Admission): Promise<IssuedTokens> {
  const audit: AuditEventInput = { event: 'sign_in', tenantId: cc.tenant.id, clientId: cc.client.id, deviceId: a.deviceId, ip: a.ip };
  return auditedSignIn(deps, audit, a.method, () => passwordSteps(deps, cc, a, checks, audit));
}

/**
 * Runs a sign-in and writes its audit event: the success with how it arrived (`method`), a
 * failure with its reason, never a refusal by the rate limits (a flood must not fill the table).
 * `run` may fill in audit.userId once it knows the user.
 */
export async function auditedSignIn<T>(deps: Deps, audit: AuditEventInput, method: string, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    deps.audit.record({ ...audit, reason: method });
    return result;
  } catch (err) {
    if (isSignetError(err) && !isRateLimited(err))
      deps.audit.record({ ...audit, event: 'sign_in_failed', reason: err.reason, detail: err.detail });
    throw err;
  }
}

async function passwordSteps(
  deps: Deps,
  cc: ClientContext,
  a: PasswordAttempt,
  checks: Admission,
  audit: AuditEventInput,
): Promise<IssuedTokens> {
  const scope = grantScope(cc.client, a.scope);
  if (!a.password) throw invalidArgument('password', 'password is required');
  const userType = readUserType(a.userType);
  const channel = readChannel(a.sourceType, a.deviceId);
  const id = readIdentifier(a.identifier);
  const user = await provePassword(
    deps,
    cc.tenant,
    {
      ...byLogin(deps, cc.tenant.id, userType, id),
      password: a.password,
      ip: a.ip,
      captcha: a.captcha,
      captchaStates: a.captchaStates,
      hideUnknownUser: a.hideUnknownUser,
    },
    checks,
    audit,
  );
  const twoFactors = await secondFactor(deps, effectivePolicy(cc.tenant.policy), cc, user, a);
  return startSession(deps, {
    tenant: cc.tenant,
    client: cc.client,
    user,
    scope,
    deviceId: a.deviceId,
    channel,
    provedHash: user.passwordHash,
    amr: twoFactors ? [AMR.password, AMR.sms, AMR.multiFactor] : [AMR.password],
  });
}

/** Whose password it is, for an identifier typed at sign-in: its lock key and its lookup. */
export function byLogin(deps: Deps, tenantId: string, userType: UserType, id: Identifier): Pick<PasswordProof, 'idKey' | 'findUser'> {
  return {
    idKey: identifierKey(userType, id),
    findUser: () => deps.storage.users.findByLogin(tenantId, userType, id.field, id.value),
  };
}

/** A password to prove, and whose it is. */
export interface PasswordProof {
  /** The lock key of the identifier as typed (gate.identifierKey): an unknown one locks too. */
  idKey: string;
  /** Finds the user, once the refusals that cost no lookup have passed. */
  findUser: () => Promise<User | null>;
  password: string;
  ip: string;
  captcha: CaptchaProof;
  /** The captcha flows whose tokens are accepted here. */
  captchaStates: string[];
  hideUnknownUser?: boolean;
}

/**
 * THE password check, with every defence of a sign-in in its order: the refusals known without
 * a lookup, the rate limits, the IP block and a lockout place (one Redis write), the captcha when
 * due, one hash whatever the outcome, and the failure counted (locking at the limit). Sign-in
 * ends it with a session; a password change with the old password (with or without a session)
 * and re-authentication (sudo) use it as it is, so none of them is a cheaper oracle than sign-in.
 * Returns the user, usable.
 */
export async function provePassword(
  deps: Deps,
  tenant: Tenant,
  p: PasswordProof,
  checks: Admission,
  audit: AuditEventInput,
): Promise<User> {
  const policy = effectivePolicy(tenant.policy);
  await refuseKnownBeforeLookup(deps, checks, policy, tenant.id, p.idKey);
  const user = await p.findUser();
  audit.userId = user?.id;
  // An unknown identifier counts and locks like a real account, so locking reveals nothing.
  const subject = failureSubject(tenant.id, user, p.idKey);
  const { ipFailures, place } = await admitAndReserve(deps, checks, policy, subject, tenant.id, p.idKey);
  if (captchaDueFor(deps, policy, place.failures, ipFailures)) {
    try {
      await requireCaptcha(deps, p);
    } catch (err) {
      if (policy.lockoutEnabled) await deps.lockout.release(subject, false);
      throw err;
    }
  }
  let provedHash: string | null;
  try {
    provedHash = await checkPassword(deps, tenant, user, p);
  } catch (err) {
    const guess = isSignetError(err) && (err.reason === 'invalid_password' || err.reason === 'not_found');
    // A Redis error here must not keep the lockout place below from being given back.
    if (guess) await deps.limiter.recordIpFailure(p.ip).catch((e: unknown) => deps.log.warn({ err: e }, 'could not count an IP failure'));
    if (policy.lockoutEnabled) {
      if (!guess) await deps.lockout.release(subject, false);
      else await failed(deps, policy, subject, tenant.id, p.idKey, err as SignetError, audit);
    }
    throw err;
  }
  if (policy.lockoutEnabled) await deps.lockout.succeeded(subject, place, policy);
  checkUsable(user!, deps.now());
  // The hash the password was proved against (after an upgrade, the new one): see startSession.
  return { ...user!, passwordHash: provedHash };
}

/**
 * A wrong password (or an unknown identifier): count it; lock at the limit, else say how many
 * attempts are left.
 */
async function failed(
  deps: Deps,
  policy: EffectivePolicy,
  subject: Subject,
  tenantId: string,
  idKey: string,
  err: SignetError,
  audit: AuditEventInput,
): Promise<never> {
  const { failures, lockedFor } = await deps.lockout.fail(subject, policy);
  if (lockedFor > 0) {
    await deps.lockout.rememberLock(tenantId, idKey, lockedFor);
    deps.audit.record({ ...audit, event: 'lock', reason: err.reason, detail: err.detail });
    // This failure set the lock: HZERO tells it apart (loginErrorMaxTimes) from a later refusal.
    const locked = lockedError(lockedFor);
    throw new SignetError(locked.reason, 'locked_now', { ...locked.details, message: 'invalid_status.max_attempts' });
  }
  if (err.reason !== 'invalid_password') throw err;
  const remaining = policy.maxFailedAttempts - failures;
  throw new SignetError('invalid_password', err.detail, {
    metadata: { limit_remaining: String(remaining), failed_attempts: String(failures) },
    params: [remaining],
  });
}

async function requireCaptcha(deps: Deps, a: PasswordProof): Promise<void> {
  const c = a.captcha;
  let ok = false;
  if (c.token) ok = await consumeCaptchaToken(deps, c.token, a.captchaStates);
  else if (c.key && c.answer) ok = await answerCaptcha(deps, c.key, c.answer);
  if (!ok)
    throw c.token || c.key ? new SignetError('captcha_invalid', 'captcha_wrong') : new SignetError('captcha_required', 'captcha_missing');
}

/**
 * A code sent to the user's phone on top of the password, when the tenant asks for it. True when
 * one was proved (the session's amr says so), false when none was due.
 */
async function secondFactor(deps: Deps, policy: EffectivePolicy, cc: ClientContext, user: User, a: PasswordAttempt): Promise<boolean> {
  if (policy.secondFactor === 'off') return false;
  if (policy.secondFactor === 'new_device' && a.deviceId && (await deps.storage.sessions.hasDevice(user.id, a.deviceId))) return false;
  const required = () =>
    new SignetError('phone_required', 'second_factor_missing', { metadata: { phone_number: maskPhone(user.phoneNumber) } });
  if (!a.verificationToken) throw required();
  const proof = await consumeVerificationToken(deps, a.verificationToken, { tenantId: cc.tenant.id, usage: 'sign_in' });
  if (proof?.channel !== 'sms' || proof.destination !== user.phoneNumber) throw required();
  return true;
}

/** "+86138****0000": enough for the user to recognise, too little to harvest. */
function maskPhone(p: string | null): string {
  if (!p) return '';
  return p.length > 8 ? `${p.slice(0, p.length - 8)}****${p.slice(-4)}` : '****';
}

/**
 * Exactly one password hash computation whatever the outcome, so an unknown user, a user
 * without a password and a wrong password take the same time.
 */
/** Returns the user's hash as it now stands (replaced when it was upgraded). */
async function checkPassword(deps: Deps, tenant: Tenant, user: User | null, a: PasswordProof): Promise<string> {
  if (!user?.passwordHash) {
    await deps.hasher.verifyDummy(a.password);
    if (!user && !tenant.policy.hideUnknownUsers && !a.hideUnknownUser)
      throw new SignetError('not_found', 'user_unknown', { message: 'not_found.user' });
    throw new SignetError('invalid_password', user ? 'user_without_password' : 'user_unknown');
  }
  const result = await deps.hasher.verify(user.passwordHash, a.password);
  if (!result.ok) throw new SignetError('invalid_password', 'password_wrong');
  return result.needsRehash ? upgradeHash(deps, user, a.password) : user.passwordHash;
}

/**
 * The upgraded hash; the old one when the upgrade failed (it is retried at the next sign-in).
 * When the hash changed under it (another sign-in upgraded it, or the password was changed), the
 * password is proved against the stored one again: it decides, not the race.
 */
async function upgradeHash(deps: Deps, user: User, password: string): Promise<string> {
  let replaced: boolean;
  let next: string;
  try {
    next = await deps.hasher.hash(password);
    replaced = await deps.storage.users.upgradePasswordHash(user.id, user.passwordHash!, next);
  } catch (err) {
    deps.log.warn({ err, userId: user.id }, 'password hash upgrade failed; will retry at next sign-in');
    return user.passwordHash!;
  }
  if (replaced) return next;
  const stored = (await deps.storage.users.get(user.id))?.passwordHash;
  if (stored && (await deps.hasher.verify(stored, password)).ok) return stored;
  throw new SignetError('invalid_password', 'password_changed_meanwhile');
}
