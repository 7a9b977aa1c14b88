// Bearer access tokens presented to Signet itself (user/me, signout).
import type { JWTPayload } from 'jose';
import { SignetError, rethrowUnavailable } from '../errors.js';
import type { Deps } from '../deps.js';
import type { User } from '../model.js';
import { ACCESS_TOKEN_TYP } from '../tokens/mint.js';
import { isRevoked } from './revocation.js';
import { checkUsable } from '../signin/rules.js';
import { beginChecks, type Admission } from '../defence/request-checks.js';

export interface BearerClaims extends JWTPayload {
  sub: string;
  sid?: string;
  client_id: string;
  scope?: string;
}

/**
 * The claims of a valid, unrevoked access token (as the request presented it: '' for none);
 * `unauthenticated` for anything else.
 */
export async function authenticateBearer(deps: Deps, accessToken: string): Promise<BearerClaims> {
  if (!accessToken) throw new SignetError('unauthenticated', 'bearer_missing');
  let claims: JWTPayload;
  try {
    claims = await deps.keys.verify(accessToken, deps.settings.issuer, ACCESS_TOKEN_TYP);
  } catch (err) {
    rethrowUnavailable(err);
    throw new SignetError('unauthenticated', 'bearer_invalid', {}, err);
  }
  if (typeof claims.sub !== 'string' || typeof claims.client_id !== 'string') throw new SignetError('unauthenticated', 'bearer_claims');
  if (typeof claims.sid === 'string' && (await isRevoked(deps, claims.sid))) throw new SignetError('unauthenticated', 'session_revoked');
  // A disabled client or tenant stops its tokens at once, not when they expire (both cached).
  const client = await deps.directory.client(claims.client_id);
  const tenant = client && (await deps.directory.tenant(client.tenantId));
  if (client?.status !== 'enabled' || !tenant || tenant.status !== 'enabled')
    throw new SignetError('unauthenticated', 'client_or_tenant_disabled');
  return claims as BearerClaims;
}

/** The user behind a user access token (client_credentials tokens have none). */
export async function currentUser(deps: Deps, accessToken: string): Promise<User> {
  return (await currentSession(deps, accessToken)).user;
}

/** The user behind a user access token and the session it belongs to. */
export async function currentSession(deps: Deps, accessToken: string): Promise<{ user: User; claims: BearerClaims & { sid: string } }> {
  const claims = await authenticateBearer(deps, accessToken);
  if (!claims.sid) throw new SignetError('unauthenticated', 'bearer_not_user');
  const user = await deps.storage.users.get(claims.sub);
  if (!user) throw new SignetError('unauthenticated', 'user_unknown');
  try {
    checkUsable(user, deps.now());
  } catch (err) {
    throw new SignetError('unauthenticated', 'user_unusable', {}, err);
  }
  return { user, claims: claims as BearerClaims & { sid: string } };
}

/**
 * currentSession for a call the signed-in user makes about their own account: counted against
 * the request rate limits of the IP and the token's client first, like every other request. The
 * checks are returned, already counted, for a step that joins them (a password proof).
 */
export async function signedInSession(
  deps: Deps,
  accessToken: string,
  ip: string,
): Promise<{ user: User; claims: BearerClaims & { sid: string }; checks: Admission }> {
  const session = await currentSession(deps, accessToken);
  requireOwnToken(session.claims);
  const checks = beginChecks(deps, ip, session.claims.client_id);
  await checks.limits();
  return { ...session, checks };
}

/**
 * The user's own token, not one a service obtained by token exchange (it carries `act`): a
 * delegated token serves the downstream call it was made for, never the user's account (its
 * sessions, password, contacts, deletion, signing out, authorizing other clients).
 */
export function requireOwnToken(claims: BearerClaims): void {
  if (claims.act !== undefined) throw new SignetError('permission_denied', 'delegated_token');
}
