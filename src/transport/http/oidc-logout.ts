// The end_session_endpoint of OpenID Connect RP-Initiated Logout 1.0 (GET and POST /oidc/logout).
// A browser lands here, so the answer is a redirect or a page, not JSON: an extra route. The
// rules are in the domain (sessions/end-session.ts). Without an id_token_hint, nothing proves a
// client sent the user: the page asks the user to confirm (section 2: the OP SHOULD ask), so a
// link on another site cannot sign them out.
import type { Deps } from '../../domain/deps.js';
import { endSession } from '../../domain/sessions/end-session.js';
import { isSignetError } from '../../domain/errors.js';
import type { ExtraRoute, HttpExchange } from './server.js';
import { brandOf, guarded, redirect, requireSameSite, send, statusOf, value, type PageRequest } from './pages/flow.js';
import { esc, hidden, layout } from './pages/html.js';
import { messageView } from './pages/views.js';
import { t } from './pages/text.js';

export const LOGOUT_PATH = '/oidc/logout';

export function endSessionRoutes(deps: Deps): ExtraRoute[] {
  const handle = (x: HttpExchange) => guarded(deps, x, (r) => logout(deps, r));
  return [
    { method: 'GET', path: LOGOUT_PATH, handle },
    { method: 'POST', path: LOGOUT_PATH, handle },
  ];
}

async function logout(deps: Deps, r: PageRequest): Promise<void> {
  const param = (name: string) => value(r.query, name) || value(r.form, name);
  const hint = param('id_token_hint');
  const sso = r.browser.sso;
  if (!hint && sso && !(r.x.req.method === 'POST' && requireSameSite(r))) return confirmPage(r);
  try {
    const { redirectTo, browserSignedOut } = await endSession(deps, {
      browserSession: sso,
      idTokenHint: hint,
      postLogoutRedirectUri: param('post_logout_redirect_uri'),
      state: param('state'),
      clientId: param('client_id'),
      ip: r.x.ctx.clientIp,
    });
    // Only once the hint proved whose logout this is: a bad one leaves the browser as it was.
    if (sso && browserSignedOut) r.browser.signOut();
    if (redirectTo) return redirect(r, redirectTo);
    send(
      r,
      layout({
        locale: r.locale,
        title: t(r.locale, 'signedOut'),
        brand: brandOf(null),
        body: messageView(t(r.locale, 'signedOutText'), false),
      }),
    );
  } catch (err) {
    if (!isSignetError(err)) throw err;
    const rs = statusOf(deps, r, err);
    send(
      r,
      layout({
        locale: r.locale,
        title: t(r.locale, 'signOutFailed'),
        brand: brandOf(null),
        body: messageView(rs.message, true),
        status: rs.httpStatus,
      }),
    );
  }
}

function confirmPage(r: PageRequest): void {
  const body = `<p>${esc(t(r.locale, 'signOutAsk'))}</p><form method="post" action="${LOGOUT_PATH}">${hidden({ csrf: r.browser.csrfToken() })}
<button type="submit" autofocus>${esc(t(r.locale, 'signOut'))}</button></form>`;
  send(r, layout({ locale: r.locale, title: t(r.locale, 'signOut'), brand: brandOf(null), body }));
}
