// The authorization endpoint of the code grant, for a user already signed in (CloudBase's
// /auth/v1/user/authorize and /auth/v1/user/authorize/info, which its SDK calls with the user's
// bearer token). No page and no redirect: the caller takes the code to the redirect URI. A hosted
// sign-in page builds on the same checks (checkAuthorization) and issueCode.
import type { Deps } from '../deps.js';
import type { AuthorizeCommand } from '../commands.js';
import type { Client, User } from '../model.js';
import { SignetError, invalidArgument } from '../errors.js';
import { grantScope, requireGrant, requireUserScope } from '../accounts/clients.js';
import { requireRegisteredRedirect } from '../accounts/redirect-uris.js';
import { signedInSession } from '../sessions/bearer.js';
import { AUTHORIZATION_CODE, issueCode, readCodeChallenge } from './authorization-codes.js';
import { rememberConsent } from '../accounts/consents.js';

/** What an authorization request asks for, once every check passed. */
export interface CheckedAuthorization {
  client: Client;
  user: User;
  /** The session the request was made from. */
  sessionId: string;
  redirectUri: string;
  scope: string[];
  codeChallenge: string;
}

/** Scopes Signet knows, by id, with what a consent screen shows; a client's own scopes show their id. */
const SCOPE_NAMES: Readonly<Record<string, string>> = {
  openid: 'Sign you in (OpenID Connect)',
  profile: 'Your name and profile',
  email: 'Your e-mail address',
  phone: 'Your phone number',
  offline_access: 'Stay signed in (refresh tokens)',
  user: 'Sign you in',
};

export async function checkAuthorization(deps: Deps, cmd: AuthorizeCommand, pkce: boolean): Promise<CheckedAuthorization> {
  const { user, claims } = await signedInSession(deps, cmd.accessToken, cmd.ip);
  if (!cmd.clientId) throw invalidArgument('client_id', 'client_id is required');
  const client = await deps.directory.client(cmd.clientId);
  // A client of another tenant is as unknown as one that does not exist.
  if (!client || client.tenantId !== user.tenantId) throw new SignetError('invalid_client', 'client_unknown');
  if (client.status !== 'enabled') throw new SignetError('invalid_client', 'client_disabled');
  if (cmd.responseType !== 'code') throw invalidArgument('response_type', 'only response_type=code is supported');
  requireGrant(client, AUTHORIZATION_CODE);
  const tenant = await deps.directory.tenant(client.tenantId);
  if (!tenant) throw new SignetError('invalid_client', 'tenant_unknown', { message: 'invalid_client.tenant_invalid' });
  requireUserScope({ client, tenant });
  const redirectUri = requireRegisteredRedirect(client, cmd.redirectUri);
  const scope = grantScope(client, cmd.scope);
  const codeChallenge = pkce ? readCodeChallenge(cmd.codeChallenge, cmd.codeChallengeMethod, client.type === 'public') : '';
  return { client, user, sessionId: claims.sid, redirectUri, scope, codeChallenge };
}

/** Issues a code for the signed-in user and the client asked for. */
export async function authorize(deps: Deps, cmd: AuthorizeCommand): Promise<string> {
  const a = await checkAuthorization(deps, cmd, true);
  const session = await deps.storage.sessions.get(a.sessionId);
  if (!session || session.revokedAt) throw new SignetError('unauthenticated', 'session_revoked');
  // The app asked the user (GetAuthorizeInfo shows what) before calling this: the call is the
  // user's consent, remembered as the hosted consent page's is.
  if (!a.client.firstParty) {
    await rememberConsent(deps, { tenantId: a.client.tenantId, clientId: a.client.id, userId: a.user.id, scope: a.scope });
  }
  return issueCode(deps, {
    tenantId: a.client.tenantId,
    clientId: a.client.id,
    userId: a.user.id,
    sessionId: a.sessionId,
    redirectUri: a.redirectUri,
    scope: a.scope,
    nonce: cmd.nonce,
    codeChallenge: a.codeChallenge,
    // The user authenticated as and when the session they authorize from says.
    authTime: session.authTime.getTime(),
    amr: session.amr,
  });
}

export interface AuthorizeInfo {
  client: { id: string; name: string };
  scopes: { id: string; name: string }[];
}

/** What an authorization request would grant, after the same checks (no PKCE: no code is issued). */
export async function authorizeInfo(deps: Deps, cmd: AuthorizeCommand): Promise<AuthorizeInfo> {
  // The info call may leave response_type out: it can only be about a code.
  const a = await checkAuthorization(deps, { ...cmd, responseType: cmd.responseType || 'code' }, false);
  return {
    client: { id: a.client.id, name: a.client.name },
    scopes: a.scope.map((id) => ({ id, name: Object.hasOwn(SCOPE_NAMES, id) ? SCOPE_NAMES[id] : id })),
  };
}
