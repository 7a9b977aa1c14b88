// Password sign-in, shared by the SignIn RPC, the token endpoint's password grant and the HZERO
// dialect. The order of the steps in passwordSteps decides what an attacker can learn and what
// a guess costs; read it top to bottom.
import { SignetError, invalidArgument, isSignetError } from './errors.js';
import type { Deps } from './deps.js';
import type { Tenant, User, UserType } from './model.js';
import type { ClientContext } from './clients.js';
import { grantScope, requireGrant } from './clients.js';
import { readIdentifier, type IdentifierInput } from './identity.js';
import { startSession } from './sessions.js';
import type { IssuedTokens } from './tokens.js';
import type { AuditEventInput } from './ports.js';
import { effectivePolicy, type EffectivePolicy } from './defence/policy.js';
import { lockedError, type Place, type Subject } from './defence/lockout.js';
import { captchaDueFor, failureSubject, identifierKey } from './defence/gate.js';
import { answerCaptcha, consumeCaptchaToken } from './defence/captcha.js';
import { consumeVerificationToken } from './defence/codes.js';
import type { Admission } from './defence/ratelimit.js';

export interface CaptchaProof {
  /** A captcha token from VerifyCaptcha. */
  token?: string;
  /** HZERO style: the challenge id and the answer read from the image. */
  key?: string;
  answer?: string;
}

export interface PasswordSignIn extends IdentifierInput {
  password: string;
  user_type?: string;
  scope?: string;
  deviceId: string;
  source_type?: string;
  /** A verification token proving the user's phone, for a second-factor policy. */
  verification_token?: string;
  captcha?: CaptchaProof;
  /** The captcha states (flows) whose tokens this sign-in accepts. */
  captchaStates: string[];
  ip: string;
  /** The request's rate limits and IP failure count, started by the transport (RateLimiter.admit). */
  admission: Admission;
  /** How the sign-in arrived ("signin", "password", …), for the audit trail. */
  method: string;
}

export async function signInWithPassword(deps: Deps, cc: ClientContext, req: PasswordSignIn): Promise<IssuedTokens> {
  const audit: AuditEventInput = { event: 'sign_in', tenantId: cc.tenant.id, clientId: cc.client.id, deviceId: req.deviceId, ip: req.ip };
  try {
    const tokens = await passwordSteps(deps, cc, req, audit);
    deps.audit.record({ ...audit, reason: req.method });
    return tokens;
  } catch (err) {
    // A refusal by the rate limits is not audited: a flood must not fill the table.
    if (isSignetError(err) && !isRateLimited(err)) deps.audit.record({ ...audit, event: 'sign_in_failed', reason: err.reason });
    throw err;
  }
}

const isRateLimited = (err: SignetError) =>
  err.reason === 'resource_exhausted' && ['ip', 'client'].includes(err.details.metadata?.scope ?? '');

async function passwordSteps(deps: Deps, cc: ClientContext, req: PasswordSignIn, audit: AuditEventInput): Promise<IssuedTokens> {
  requireUserScope(cc);
  // Every password sign-in (SignIn, encrypted, HZERO, the token grant) needs the password grant.
  requireGrant(cc.client, 'password');
  const scope = grantScope(cc.client, req.scope ?? '');
  if (!req.password) throw invalidArgument('password', 'password is required');
  const userType = readUserType(req.user_type);
  const channel = readChannel(req.source_type, req.deviceId);
  const id = readIdentifier(req);
  const policy = effectivePolicy(cc.tenant.policy);
  const idKey = identifierKey(userType, id);

  // Refusals this instance already knows cost no database lookup: an IP or client over its limit
  // and a blocked IP no I/O at all; a lock it has seen, one Redis read to confirm it, which the
  // request's limits join in the same write.
  req.admission.refuseKnownLimits();
  req.admission.refuseKnownIpBlock();
  if (policy.lockoutEnabled && deps.lockout.seenLocked(cc.tenant.id, idKey)) {
    await allInOrder([req.admission.limits(), deps.lockout.confirmLock(cc.tenant.id, idKey)]);
  }
  // A burst from one IP or client waits for its verdict before it reaches the database.
  if (req.admission.busy()) await req.admission.limits();

  const user = await deps.storage.users.findByLogin(cc.tenant.id, userType, id.field, id.value);
  audit.userId = user?.id;
  // An unknown identifier counts and locks like a real account, so locking reveals nothing.
  const subject = failureSubject(cc.tenant.id, user, idKey);
  const { ipFailures, place } = await admitAndReserve(deps, policy, req, subject, cc.tenant.id, idKey);
  if (captchaDueFor(deps, policy, place.failures, ipFailures)) {
    try {
      await requireCaptcha(deps, req);
    } catch (err) {
      if (policy.lockoutEnabled) await deps.lockout.release(subject, false);
      throw err;
    }
  }
  try {
    await checkPassword(deps, cc.tenant, user, req.password);
  } catch (err) {
    const guess = isSignetError(err) && (err.reason === 'invalid_password' || err.reason === 'not_found');
    // A Redis error here must not keep the lockout place below from being given back.
    if (guess) await deps.limiter.recordIpFailure(req.ip).catch((e: unknown) => deps.log.warn({ err: e }, 'could not count an IP failure'));
    if (policy.lockoutEnabled) {
      if (!guess) await deps.lockout.release(subject, false);
      else await failed(deps, policy, subject, cc.tenant.id, idKey, err as SignetError, audit);
    }
    throw err;
  }
  if (policy.lockoutEnabled) await deps.lockout.succeeded(subject, place, policy);
  checkUsable(user!, deps.now());
  await secondFactor(deps, policy, cc, user!, req);
  return startSession(deps, { tenant: cc.tenant, client: cc.client, user: user!, scope, deviceId: req.deviceId, channel });
}

/**
 * The request's rate limits and IP failure count, and a place for one password comparison
 * (which also reads the failure count the captcha rule needs), in one Redis write: socket writes
 * are most of what these checks cost. A request refused by either gives its place back.
 */
async function admitAndReserve(
  deps: Deps, policy: EffectivePolicy, req: PasswordSignIn, subject: Subject, tenantId: string, idKey: string,
): Promise<{ ipFailures: number; place: Place }> {
  const [admitted, ipFailures, reserved] = await Promise.allSettled([
    req.admission.limits(),
    req.admission.ipFailures(),
    policy.lockoutEnabled ? reserve(deps, policy, subject, tenantId, idKey) : Promise.resolve(NO_PLACE),
  ]);
  try {
    // The request's own refusals (rate limits, a blocked IP) come before what the account says.
    if (admitted.status === 'rejected') throw admitted.reason;
    if (ipFailures.status === 'rejected') throw ipFailures.reason;
    deps.limiter.checkIpFailures(ipFailures.value);
    if (reserved.status === 'rejected') throw reserved.reason;
    return { ipFailures: ipFailures.value.count, place: reserved.value };
  } catch (err) {
    if (policy.lockoutEnabled && reserved.status === 'fulfilled') await deps.lockout.release(subject, false);
    throw err;
  }
}

/** Lockout off: no place is taken. */
const NO_PLACE: Place = { failures: 0, inFlight: 0 };

/** Waits for all of them; throws the first failure in their order (not in time). */
async function allInOrder(ps: Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(ps);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
}

async function reserve(deps: Deps, policy: EffectivePolicy, subject: Subject, tenantId: string, idKey: string): Promise<Place> {
  try {
    return await deps.lockout.reserve(subject, policy);
  } catch (err) {
    if (isSignetError(err) && err.reason === 'invalid_status' && err.details.retryAfterSeconds) {
      await deps.lockout.rememberLock(tenantId, idKey, err.details.retryAfterSeconds);
    }
    throw err;
  }
}

/**
 * A wrong password (or an unknown identifier): count it; lock at the limit, else say how many
 * attempts are left.
 */
async function failed(
  deps: Deps, policy: EffectivePolicy, subject: Subject, tenantId: string, idKey: string, err: SignetError, audit: AuditEventInput,
): Promise<never> {
  const { failures, lockedFor } = await deps.lockout.fail(subject, policy);
  if (lockedFor > 0) {
    await deps.lockout.rememberLock(tenantId, idKey, lockedFor);
    deps.audit.record({ ...audit, event: 'lock', reason: err.reason });
    // This failure set the lock: HZERO tells it apart (loginErrorMaxTimes) from a later refusal.
    const locked = lockedError(lockedFor);
    throw new SignetError(locked.reason, { ...locked.details, message: 'invalid_status.max_attempts' });
  }
  if (err.reason !== 'invalid_password') throw err;
  const remaining = policy.maxFailedAttempts - failures;
  throw new SignetError('invalid_password', {
    metadata: { limit_remaining: String(remaining), failed_attempts: String(failures) }, params: [remaining],
  });
}

async function requireCaptcha(deps: Deps, req: PasswordSignIn): Promise<void> {
  const c = req.captcha;
  let ok = false;
  if (c?.token) ok = await consumeCaptchaToken(deps, c.token, req.captchaStates);
  else if (c?.key && c.answer) ok = await answerCaptcha(deps, c.key, c.answer);
  if (!ok) throw new SignetError(c?.token || c?.key ? 'captcha_invalid' : 'captcha_required');
}

/** A code sent to the user's phone on top of the password, when the tenant asks for it. */
async function secondFactor(deps: Deps, policy: EffectivePolicy, cc: ClientContext, user: User, req: PasswordSignIn): Promise<void> {
  if (policy.secondFactor === 'off') return;
  if (policy.secondFactor === 'new_device' && req.deviceId && (await deps.storage.sessions.hasDevice(user.id, req.deviceId))) return;
  const required = () => new SignetError('phone_required', { metadata: { phone_number: maskPhone(user.phoneNumber) } });
  if (!req.verification_token) throw required();
  const proof = await consumeVerificationToken(deps, req.verification_token, { tenantId: cc.tenant.id });
  if (!proof || proof.channel !== 'sms' || proof.destination !== user.phoneNumber) throw required();
}

/** "+86138****0000": enough for the user to recognise, too little to harvest. */
function maskPhone(p: string | null): string {
  if (!p) return '';
  return p.length > 8 ? `${p.slice(0, p.length - 8)}****${p.slice(-4)}` : '****';
}

/** Signing users in is a permission of the client: the `user` scope. */
export function requireUserScope(cc: ClientContext): void {
  if (!cc.client.scopes.includes('user')) {
    throw new SignetError('permission_denied', { metadata: { scope: 'user' } });
  }
}

export function readUserType(v: string | undefined): UserType {
  if (!v || v === 'P') return 'P';
  if (v === 'C') return 'C';
  throw invalidArgument('user_type', 'must be P or C');
}

/** The session's channel; an app session is bound to its device, so `app` needs a device id. */
export function readChannel(v: string | undefined, deviceId: string): string {
  if (!v) return '';
  if (v !== 'web' && v !== 'app') throw invalidArgument('source_type', 'must be web or app');
  if (v === 'app' && !deviceId) throw invalidArgument('device_id', 'source_type app needs a device_id');
  return v;
}

/**
 * Exactly one password hash computation whatever the outcome, so an unknown user, a user
 * without a password and a wrong password take the same time.
 */
async function checkPassword(deps: Deps, tenant: Tenant, user: User | null, password: string): Promise<void> {
  if (!user || !user.passwordHash) {
    await deps.hasher.verifyDummy(password);
    if (!user && !tenant.policy.hideUnknownUsers) throw new SignetError('not_found', { message: 'not_found.user' });
    throw new SignetError('invalid_password');
  }
  const result = await deps.hasher.verify(user.passwordHash, password);
  if (!result.ok) throw new SignetError('invalid_password');
  if (result.needsRehash) await upgradeHash(deps, user, password);
}

async function upgradeHash(deps: Deps, user: User, password: string): Promise<void> {
  try {
    const next = await deps.hasher.hash(password);
    await deps.storage.users.upgradePasswordHash(user.id, user.passwordHash!, next);
  } catch (err) {
    deps.log.warn({ err, userId: user.id }, 'password hash upgrade failed; will retry at next sign-in');
  }
}

/**
 * Account state is told only to someone who knows the password, so it reveals nothing to a
 * guesser.
 */
export function checkUsable(user: User, now: Date): void {
  if (user.status === 'blocked') throw new SignetError('user_blocked');
  if (user.status === 'pending') throw new SignetError('user_pending');
  if (user.expiresAt && user.expiresAt.getTime() <= now.getTime()) throw new SignetError('user_expired');
}
