// OpenID Connect RP-Initiated Logout 1.0: a relying party sends the user's browser to Signet to
// end the session an id token it holds names. Read `endSession` top to bottom.
//
// Decisions where the specification leaves room:
// - The browser's own sign-in (the hosted login page's cookie) ends with the hint's session when
//   it is the same user's: the user is signed out of Signet, not only of the client. Another
//   user's sign-in on the browser is left alone (a hint from elsewhere must not sign them out).
// - id_token_hint is required unless the browser is signed in to Signet (the transport then asks
//   the user to confirm): it is the only other way to know which session to end. It is checked for
//   signature, issuer and type only; an expired hint is accepted (section 2, "RPs SHOULD ... even
//   if it has expired"); one signed by a key no longer published is refused.
// - The client is the hint's `aud`; a `client_id` parameter must name the same client.
// - post_logout_redirect_uri must be exactly one of the client's registered redirect URIs;
//   anything else is refused before any effect, and never redirected to (no open redirect).
// - Ending a session already ended is not an error: the user is signed out either way.
import type { Deps } from '../deps.js';
import { SignetError, invalidArgument, rethrowUnavailable } from '../errors.js';
import { ID_TOKEN_TYP } from '../tokens/mint.js';
import { revokeSession } from './revocation.js';
import { endBrowserSession } from '../browser/sso.js';

export interface EndSessionCommand {
  idTokenHint: string;
  postLogoutRedirectUri: string;
  state: string;
  clientId: string;
  ip: string;
  /** The browser's sign-in cookie ('' for none). */
  browserSession: string;
}

export interface EndSessionOutcome {
  /** Where to send the browser afterwards (with `state`), or null: show "signed out". */
  redirectTo: string | null;
  /** The browser's own sign-in ended (or was worthless): its cookie goes. */
  browserSignedOut: boolean;
}

export async function endSession(deps: Deps, cmd: EndSessionCommand): Promise<EndSessionOutcome> {
  await deps.limiter.checkRequest(cmd.ip, cmd.clientId);
  if (!cmd.idTokenHint) {
    if (!cmd.browserSession) throw invalidArgument('id_token_hint', 'id_token_hint is required');
    // Without a hint nothing says which client asks, so nobody is redirected (section 3).
    return { redirectTo: null, browserSignedOut: await endBrowserSession(deps, cmd.browserSession, cmd.ip) };
  }
  let hint: Record<string, unknown>;
  try {
    hint = await deps.keys.verifyIssued(cmd.idTokenHint, deps.settings.issuer, ID_TOKEN_TYP);
  } catch (err) {
    rethrowUnavailable(err);
    throw invalidArgument('id_token_hint', 'not an id token issued by this server');
  }
  const aud = Array.isArray(hint.aud) ? hint.aud : [hint.aud];
  const clientId = aud[0];
  const { sub, sid } = hint;
  if (aud.length !== 1 || typeof clientId !== 'string' || typeof sub !== 'string' || typeof sid !== 'string') {
    throw invalidArgument('id_token_hint', 'not an id token issued by this server');
  }
  if (cmd.clientId && cmd.clientId !== clientId) throw invalidArgument('client_id', 'client_id does not match the id_token_hint');
  const client = await deps.directory.client(clientId);
  if (!client) throw invalidArgument('id_token_hint', 'not an id token issued by this server');

  let redirectTo: string | null = null;
  // A disabled client's sessions still end, but nobody is sent to it.
  if (cmd.postLogoutRedirectUri && client.status === 'enabled') {
    if (!client.redirectUris.includes(cmd.postLogoutRedirectUri)) {
      throw new SignetError('invalid_argument', 'redirect_uri_unregistered', {
        fieldViolations: [{ field: 'post_logout_redirect_uri', description: 'not a redirect URI registered for this client' }],
      });
    }
    redirectTo = withState(cmd.postLogoutRedirectUri, cmd.state);
  }

  const browserSignedOut = await endBrowserSession(deps, cmd.browserSession, cmd.ip, sub);
  if (await revokeSession(deps, sid, 'end_session')) {
    deps.audit.record({ event: 'sign_out', tenantId: client.tenantId, userId: sub, clientId, ip: cmd.ip, reason: 'end_session' });
  }
  return { redirectTo, browserSignedOut };
}

/** The redirect URI with `state` added to its query (section 3), its own query kept. */
function withState(uri: string, state: string): string {
  if (!state) return uri;
  const url = new URL(uri);
  url.searchParams.append('state', state);
  return url.toString();
}
