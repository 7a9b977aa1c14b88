// What every change of credentials shares: proving the password again (through the same lockout
// as a sign-in, so these endpoints are no cheaper oracle than the sign-in), setting a new one
// (policy, hash, sessions), clearing a lock, and the signed-in caller of a self-service call.
import { SignetError, isSignetError } from '../errors.js';
import type { Deps } from '../deps.js';
import type { Client, Tenant, User } from '../model.js';
import { effectivePolicy } from '../defence/policy.js';
import { lockedError } from '../defence/lockout.js';
import { failureSubject } from '../defence/gate.js';
import { currentSession, type BearerClaims } from '../sessions/bearer.js';
import { markRevoked, revokeSession } from '../sessions/revocation.js';
import { enforcePasswordPolicy } from './password-policy.js';

/** The lock keys sign-in marks a user's lock under: each identifier as it could be typed. */
export function identifierKeys(user: User): string[] {
  return [
    user.username && `${user.userType}:username:${user.username}`,
    user.email && `${user.userType}:email:${user.email}`,
    user.phoneNumber && `${user.userType}:phone:${user.phoneNumber}`,
  ].filter((x): x is string => Boolean(x));
}

/** Ends a lock from failed passwords and clears the count, under every identifier of the user. */
export async function clearLocks(deps: Deps, user: User): Promise<void> {
  await deps.lockout.reset({ tenantId: user.tenantId, key: `u:${user.id}` });
  await deps.lockout.forgetLocks(user.tenantId, identifierKeys(user));
}

/**
 * One password comparison under the sign-in lockout of `user` (or, unknown, of the identifier
 * `idKey` typed): a place is reserved first (a locked subject is refused before any hash), a
 * wrong password counts as a failed sign-in (and locks at the limit), a right one clears the
 * count. Exactly one hash computation whatever the outcome; an unknown user or one without a
 * password answers as a wrong password.
 */
export async function comparePassword(
  deps: Deps,
  tenant: Tenant,
  user: User | null,
  idKey: string,
  password: string,
  ip: string,
): Promise<User> {
  const policy = effectivePolicy(tenant.policy);
  const subject = failureSubject(tenant.id, user, idKey);
  const place = policy.lockoutEnabled ? await deps.lockout.reserve(subject, policy) : null;
  let ok = false;
  try {
    if (user?.passwordHash) ok = (await deps.hasher.verify(user.passwordHash, password)).ok;
    else await deps.hasher.verifyDummy(password);
  } catch (err) {
    if (place) await deps.lockout.release(subject, false);
    throw err;
  }
  if (ok) {
    if (place) await deps.lockout.succeeded(subject, place, policy);
    return user!;
  }
  await deps.limiter.recordIpFailure(ip).catch((e: unknown) => deps.log.warn({ err: e }, 'could not count an IP failure'));
  const detail = !user ? 'user_unknown' : user.passwordHash ? 'password_wrong' : 'user_without_password';
  if (!place) throw new SignetError('invalid_password', detail);
  const { failures, lockedFor } = await deps.lockout.fail(subject, policy);
  if (lockedFor > 0) {
    await deps.lockout.rememberLock(tenant.id, idKey, lockedFor);
    deps.audit.record({ event: 'lock', tenantId: tenant.id, userId: user?.id, ip, reason: 'invalid_password', detail });
    const locked = lockedError(lockedFor);
    throw new SignetError(locked.reason, 'locked_now', { ...locked.details, message: 'invalid_status.max_attempts' });
  }
  const remaining = policy.maxFailedAttempts - failures;
  throw new SignetError('invalid_password', detail, {
    metadata: { limit_remaining: String(remaining), failed_attempts: String(failures) },
    params: [remaining],
  });
}

/** The lock key of a known user: its first identifier (all of them are cleared together). */
export const userIdKey = (user: User): string => identifierKeys(user)[0] ?? `${user.userType}:id:${user.id}`;

export interface PasswordChange {
  tenant: Tenant;
  user: User;
  newPassword: string;
  /** The request field the new password came in, for the policy's refusal. */
  field: string;
  /** The session that survives (the caller's own); every other one ends. '' ends them all. */
  keepSessionId: string;
  event: 'password_changed' | 'password_reset';
  ip: string;
  clientId: string;
  /** What the audit records as how (`sudo`, `old_password`, `verification_code`, …). */
  how: string;
}

/** Policy, hash, store; then the user's sessions end (but the kept one) and their tokens at once. */
export async function setNewPassword(deps: Deps, c: PasswordChange): Promise<User> {
  enforcePasswordPolicy(c.tenant.policy, c.newPassword, { username: c.user.username, email: c.user.email }, c.field);
  const passwordHash = await deps.hasher.hash(c.newPassword);
  const user = await deps.storage.users.update(c.user.id, { passwordHash });
  if (!user) throw new SignetError('not_found', 'user_unknown', { message: 'not_found.user' });
  await endSessions(deps, user.id, c.keepSessionId, c.event);
  deps.audit.record({ event: c.event, tenantId: user.tenantId, userId: user.id, clientId: c.clientId, ip: c.ip, reason: c.how });
  return user;
}

/** Ends every live session of the user but `keep` (all when ''), access tokens included. */
export async function endSessions(deps: Deps, userId: string, keep: string, reason: string): Promise<void> {
  if (!keep) {
    await markRevoked(deps, await deps.storage.sessions.revokeAllForUser(userId, reason));
    return;
  }
  for (const s of await deps.storage.sessions.listLive(userId, deps.now())) if (s.id !== keep) await revokeSession(deps, s.id, reason);
}

/** The signed-in caller of a self-service call, counted against the rate limits first. */
export interface Caller {
  claims: BearerClaims & { sid: string };
  user: User;
  tenant: Tenant;
  client: Client;
}

export async function signedInCaller(deps: Deps, accessToken: string, ip: string): Promise<Caller> {
  const { claims, user } = await currentSession(deps, accessToken);
  await deps.limiter.checkRequest(ip, claims.client_id);
  const client = await deps.directory.client(claims.client_id);
  const tenant = client && (await deps.directory.tenant(client.tenantId));
  // authenticateBearer checked both are enabled; a token of another tenant's client names nobody here.
  if (!client || !tenant || tenant.id !== user.tenantId) throw new SignetError('unauthenticated', 'tenant_mismatch');
  return { claims, user, tenant, client };
}

export const isGuess = (err: unknown): boolean => isSignetError(err) && err.reason === 'invalid_password';
