// Password sign-in, shared by the SignIn RPC and the token endpoint's password grant. Each step
// is a small function so the order of checks (which decides what an attacker can learn) reads
// top to bottom in signInWithPassword.
import { SignetError, invalidArgument } from './errors.js';
import type { Deps } from './deps.js';
import type { Tenant, User, UserType } from './model.js';
import type { ClientContext } from './clients.js';
import { grantScope } from './clients.js';
import { readIdentifier, type IdentifierInput } from './identity.js';
import { startSession } from './sessions.js';
import type { IssuedTokens } from './tokens.js';

export interface PasswordSignIn extends IdentifierInput {
  password: string;
  user_type?: string;
  scope?: string;
  deviceId: string;
  source_type?: string;
}

export async function signInWithPassword(deps: Deps, cc: ClientContext, req: PasswordSignIn): Promise<IssuedTokens> {
  requireUserScope(cc);
  const scope = grantScope(cc.client, req.scope ?? '');
  if (!req.password) throw invalidArgument('password', 'password is required');
  const userType = readUserType(req.user_type);
  const channel = readChannel(req.source_type);
  const id = readIdentifier(req);
  const user = await deps.storage.users.findByLogin(cc.tenant.id, userType, id.field, id.value);
  await checkPassword(deps, cc.tenant, user, req.password);
  checkUsable(user!, deps.now());
  return startSession(deps, { tenant: cc.tenant, client: cc.client, user: user!, scope, deviceId: req.deviceId, channel });
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

export function readChannel(v: string | undefined): string {
  if (!v) return '';
  if (v === 'web' || v === 'app') return v;
  throw invalidArgument('source_type', 'must be web or app');
}

/**
 * Exactly one password hash computation whatever the outcome, so an unknown user, a user
 * without a password and a wrong password take the same time.
 */
async function checkPassword(deps: Deps, tenant: Tenant, user: User | null, password: string): Promise<void> {
  if (!user || !user.passwordHash) {
    await deps.hasher.verifyDummy(password);
    if (!user && !tenant.policy.hideUnknownUsers) throw new SignetError('not_found');
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
