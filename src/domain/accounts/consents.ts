// Remembered OAuth consents: what a user let a third-party client do, so that a consent page asks
// only for scopes not granted yet. The user sees and withdraws theirs (AccountService), an
// operator a user's (AdminService). Withdrawing also ends the user's sessions on that client, and
// marks them revoked, so the client's access tokens stop at once, not when they expire.
import type { Deps } from '../deps.js';
import type { Client, Consent, User } from '../model.js';
import { invalidArgument } from '../errors.js';
import { signedInSession } from '../sessions/bearer.js';
import { markRevoked } from '../sessions/revocation.js';
import type { Requester } from '../sessions/manage.js';
import { getUser } from './admin.js';

/** revoke_reason of the sessions a withdrawn consent ends. */
export const CONSENT_REVOKED = 'consent_revoked';

/** A consent as the user and the operator see it. */
export interface ConsentView {
  clientId: string;
  /** '' when the client is gone (its consents go with it, so only for a moment). */
  clientName: string;
  scope: string[];
  /** When the user first consented. */
  grantedAt: Date;
  /** When the consent last grew. */
  updatedAt: Date;
  userId: string;
}

/** Each scope once, split on whitespace, none empty: what the table keeps. */
const scopesOf = (scope: string[]): string[] => [...new Set(scope.flatMap((s) => s.split(/\s+/)))].filter(Boolean);

/**
 * True when the user must be asked: a third-party client (client.firstParty false) without a
 * remembered consent covering every scope asked, or prompt=consent (force). First-party clients
 * never need consent unless force.
 */
export async function consentNeeded(deps: Deps, a: { client: Client; userId: string; scope: string[]; force: boolean }): Promise<boolean> {
  if (a.force) return true;
  if (a.client.firstParty) return false;
  const granted = await deps.storage.consents.find(a.userId, a.client.id);
  if (!granted) return true;
  const have = new Set(granted.scope);
  return scopesOf(a.scope).some((s) => !have.has(s));
}

/** Remembers the user's consent to the scopes (union with what was granted before). */
export async function rememberConsent(
  deps: Deps,
  a: { tenantId: string; clientId: string; userId: string; scope: string[] },
): Promise<void> {
  const scope = scopesOf(a.scope);
  await deps.storage.consents.grant({ tenantId: a.tenantId, userId: a.userId, clientId: a.clientId, scope });
  deps.audit.record({ event: 'consent_granted', tenantId: a.tenantId, userId: a.userId, clientId: a.clientId, reason: scope.join(' ') });
}

async function viewsOf(deps: Deps, consents: Consent[]): Promise<ConsentView[]> {
  // Through the directory's cache: a user has a handful of consents, clients are read constantly.
  const clients = await Promise.all(consents.map((c) => deps.directory.client(c.clientId)));
  return consents.map((c, i) => ({
    clientId: c.clientId,
    clientName: clients[i]?.name ?? '',
    scope: c.scope,
    grantedAt: c.createdAt,
    updatedAt: c.updatedAt,
    userId: c.userId,
  }));
}

/**
 * Forgets the consent and ends the user's live sessions on the client, whether or not a consent
 * was remembered (a session begun before consents were kept is ended all the same). True when a
 * consent was forgotten.
 */
async function withdraw(
  deps: Deps,
  user: User,
  clientId: string,
  by: { reason: 'user' | 'admin'; ip?: string; deviceId?: string },
): Promise<boolean> {
  if (!clientId) throw invalidArgument('client_id', 'the client whose consent to withdraw is required');
  const forgotten = await deps.storage.consents.revoke(user.id, clientId);
  const ended = await deps.storage.sessions.revokeClient(user.id, clientId, CONSENT_REVOKED);
  await markRevoked(deps, ended);
  if (forgotten || ended.length > 0) {
    deps.audit.record({
      event: 'consent_revoked',
      tenantId: user.tenantId,
      userId: user.id,
      clientId,
      deviceId: by.deviceId,
      ip: by.ip,
      reason: by.reason,
    });
  }
  return forgotten;
}

/** The signed-in user's consents, by client id. */
export async function listMyConsents(deps: Deps, accessToken: string, ip: string): Promise<ConsentView[]> {
  const { user } = await signedInSession(deps, accessToken, ip);
  return viewsOf(deps, await deps.storage.consents.list(user.id));
}

/** Withdraws the signed-in user's own consent to a client (never another user's). */
export async function withdrawMyConsent(deps: Deps, accessToken: string, clientId: string, by: Requester): Promise<boolean> {
  const { user } = await signedInSession(deps, accessToken, by.ip);
  return withdraw(deps, user, clientId, { reason: 'user', ip: by.ip, deviceId: by.deviceId });
}

// ---- the operator's view

export async function listUserConsents(deps: Deps, userId: string): Promise<ConsentView[]> {
  const user = await getUser(deps, userId);
  return viewsOf(deps, await deps.storage.consents.list(user.id));
}

export async function adminWithdrawConsent(deps: Deps, userId: string, clientId: string): Promise<boolean> {
  return withdraw(deps, await getUser(deps, userId), clientId, { reason: 'admin' });
}
