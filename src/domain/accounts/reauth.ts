// What every change of credentials shares: proving the password again (through the same lockout
// as a sign-in, so these endpoints are no cheaper oracle than the sign-in), setting a new one
// (policy, hash, sessions), clearing a lock, and the signed-in caller of a self-service call.
import { SignetError, isSignetError } from '../errors.js';
import type { Deps } from '../deps.js';
import type { Client, Tenant, User } from '../model.js';
import type { CaptchaProof } from '../commands.js';
import type { AuditEventInput } from '../ports.js';
import { isRateLimited, type Admission } from '../defence/request-checks.js';
import { provePassword, type PasswordProof } from '../signin/password.js';
import { signedInSession, type BearerClaims } from '../sessions/bearer.js';
import { markRevoked } from '../sessions/revocation.js';
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
 * A password proved again, by the sign-in's own check (signin/password.ts provePassword: IP
 * block, captcha, lockout), so no route that compares a password is a cheaper oracle than the
 * sign-in page; a refusal is audited as `reauth_failed`. Returns the user.
 */
export async function reauthenticate(
  deps: Deps,
  tenant: Tenant,
  proof: PasswordProof,
  checks: Admission,
  audit: AuditEventInput,
): Promise<User> {
  try {
    return await provePassword(deps, tenant, proof, checks, audit);
  } catch (err) {
    if (isSignetError(err) && !isRateLimited(err))
      deps.audit.record({ ...audit, event: 'reauth_failed', reason: err.reason, detail: err.detail });
    throw err;
  }
}

/** The signed-in caller proves the password again (sudo, a change with the old password). */
export async function provePasswordAgain(
  deps: Deps,
  c: Caller,
  password: string,
  ip: string,
  captcha: CaptchaProof,
  captchaStates: string[],
): Promise<void> {
  const audit: AuditEventInput = { event: 'reauth', tenantId: c.tenant.id, userId: c.user.id, clientId: c.client.id, ip };
  const proof = { idKey: userIdKey(c.user), findUser: async () => c.user, password, ip, captcha, captchaStates };
  await reauthenticate(deps, c.tenant, proof, c.checks, audit);
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

/** Ends every live session of the user but `keep` (all when ''), in one statement, access tokens included. */
export async function endSessions(deps: Deps, userId: string, keep: string, reason: string): Promise<void> {
  await markRevoked(deps, await deps.storage.sessions.revokeAllForUser(userId, reason, keep));
}

/** The signed-in caller of a self-service call, counted against the rate limits first. */
export interface Caller {
  claims: BearerClaims & { sid: string };
  user: User;
  tenant: Tenant;
  client: Client;
  /** The request's checks, already counted; a password proof joins them (see provePassword). */
  checks: Admission;
}

export async function signedInCaller(deps: Deps, accessToken: string, ip: string): Promise<Caller> {
  const { claims, user, checks } = await signedInSession(deps, accessToken, ip);
  const client = await deps.directory.client(claims.client_id);
  const tenant = client && (await deps.directory.tenant(client.tenantId));
  // authenticateBearer checked both are enabled; a token of another tenant's client names nobody here.
  if (!client || !tenant || tenant.id !== user.tenantId) throw new SignetError('unauthenticated', 'tenant_mismatch');
  return { claims, user, tenant, client, checks };
}

export const isGuess = (err: unknown): boolean => isSignetError(err) && err.reason === 'invalid_password';
