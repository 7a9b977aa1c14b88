// The authorization endpoint's decision for a browser (OpenID Connect Core 3.1.2): sign in, ask
// consent, or send the code back. Called when the request arrives and again after each page the
// user answered; each call decides from the request and the browser's session alone.
import type { Deps } from '../deps.js';
import { consentNeeded, rememberConsent } from '../accounts/consents.js';
import { issueCode } from '../tokens/authorization-codes.js';
import type { AuthorizationRequest, TrustedRedirect } from './request.js';
import type { BrowserSession } from './sso.js';

export type Next = { kind: 'login' } | { kind: 'consent'; session: BrowserSession } | { kind: 'redirect'; to: string };

/** What the user did on the page that led here, which the request itself cannot say. */
export interface Answered {
  /** Signed in just now: prompt=login and max_age are satisfied. */
  signedIn?: boolean;
  /** Consented just now: prompt=consent is satisfied. */
  consented?: boolean;
}

export async function continueAuthorization(
  deps: Deps,
  req: AuthorizationRequest,
  session: BrowserSession | null,
  answered: Answered = {},
): Promise<Next> {
  if (!session || !(answered.signedIn || freshEnough(deps, req, session))) {
    return req.prompt.has('none') ? { kind: 'redirect', to: errorRedirect(deps, req, 'login_required') } : { kind: 'login' };
  }
  const ask =
    !answered.consented &&
    (await consentNeeded(deps, { client: req.client, userId: session.user.id, scope: req.scope, force: req.prompt.has('consent') }));
  if (ask)
    return req.prompt.has('none') ? { kind: 'redirect', to: errorRedirect(deps, req, 'consent_required') } : { kind: 'consent', session };
  const code = await issueCode(deps, {
    tenantId: req.tenant.id,
    clientId: req.client.id,
    userId: session.user.id,
    sessionId: session.sessionId,
    redirectUri: req.redirectUri,
    scope: req.scope,
    nonce: req.nonce,
    codeChallenge: req.codeChallenge,
    authTime: session.authTime,
    amr: session.amr,
  });
  deps.audit.record({
    event: 'authorize',
    tenantId: req.tenant.id,
    clientId: req.client.id,
    userId: session.user.id,
    reason: 'hosted_page',
  });
  return { kind: 'redirect', to: redirectWith(deps, req, { code }) };
}

/** The user's answer on the consent page. */
export async function answerConsent(
  deps: Deps,
  req: AuthorizationRequest,
  session: BrowserSession | null,
  approve: boolean,
): Promise<Next> {
  if (!session) return continueAuthorization(deps, req, null);
  if (!approve) {
    deps.audit.record({ event: 'consent_denied', tenantId: req.tenant.id, clientId: req.client.id, userId: session.user.id });
    return { kind: 'redirect', to: errorRedirect(deps, req, 'access_denied') };
  }
  await rememberConsent(deps, { tenantId: req.tenant.id, clientId: req.client.id, userId: session.user.id, scope: req.scope });
  return continueAuthorization(deps, req, session, { consented: true });
}

/** prompt=login and max_age (OpenID Connect Core 3.1.2.1): an older sign-in must be made again. */
function freshEnough(deps: Deps, req: AuthorizationRequest, s: BrowserSession): boolean {
  if (req.prompt.has('login')) return false;
  return req.maxAge === null || deps.clock.now() - s.authTime <= req.maxAge * 1000;
}

/** An error answer at the client's redirect URI (RFC 6749 4.1.2.1). */
export function errorRedirect(deps: Deps, t: TrustedRedirect, error: string, description = ''): string {
  return redirectWith(deps, t, description ? { error, error_description: description } : { error });
}

/**
 * The redirect URI with the answer added to its query (its own query kept), `state` echoed, and
 * `iss` (RFC 9207) so that a client talking to several servers knows which one answered.
 */
function redirectWith(deps: Deps, t: TrustedRedirect, params: Record<string, string>): string {
  const url = new URL(t.redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v);
  if (t.state) url.searchParams.append('state', t.state);
  url.searchParams.append('iss', deps.settings.issuer);
  return url.toString();
}
