// The end_session_endpoint of OpenID Connect RP-Initiated Logout 1.0 (GET and POST /oidc/logout).
// A browser lands here, so the answer is a redirect or a small HTML page, not JSON: an extra
// route (server.ts). The rules are in the domain (sessions/end-session.ts).
import type { OutgoingHttpHeaders } from 'node:http';
import type { Deps } from '../../domain/deps.js';
import { endSession } from '../../domain/sessions/end-session.js';
import { toStatus } from '../status.js';
import { readParams } from './params.js';
import { Browser } from './pages/browser.js';
import { BodyTooLarge } from './request.js';
import type { ExtraRoute, HttpExchange } from './server.js';

/** A page that loads nothing, cannot be framed and is not kept. */
const PAGE_HEADERS: OutgoingHttpHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

const SIGNED_OUT = {
  'zh-CN': { title: '已退出登录', body: '您已退出登录。' },
  'en-US': { title: 'You are signed out', body: 'You are signed out.' },
};
const FAILED = { 'zh-CN': '无法退出登录', 'en-US': 'Sign-out failed' };

export function endSessionRoutes(deps: Deps): ExtraRoute[] {
  const handle = async (x: HttpExchange) => {
    const zh = x.ctx.locale.startsWith('zh');
    const browser = new Browser(x.req, deps.hmacKey, deps.settings.issuer.startsWith('https:'));
    try {
      const p = await readParams(x);
      const sso = browser.sso;
      // Cleared whatever the outcome: a refused logout must not leave the user signed in here.
      if (sso) browser.signOut();
      const cookies = browser.setCookies.length > 0 ? { 'set-cookie': browser.setCookies } : {};
      const { redirectTo } = await endSession(deps, {
        browserSession: sso,
        idTokenHint: p.get('id_token_hint'),
        postLogoutRedirectUri: p.get('post_logout_redirect_uri'),
        state: p.get('state'),
        clientId: p.get('client_id'),
        ip: x.ctx.clientIp,
      });
      if (redirectTo) {
        x.send(302, '', { location: redirectTo, 'cache-control': 'no-store', ...cookies });
        return;
      }
      const t = SIGNED_OUT[zh ? 'zh-CN' : 'en-US'];
      x.send(200, page(zh, t.title, t.body), { ...PAGE_HEADERS, ...cookies });
    } catch (err) {
      if (err instanceof BodyTooLarge) throw err;
      const rs = toStatus(err, x.ctx.locale, deps.log.child({ requestId: x.ctx.requestId, rpc: 'end_session' }));
      const cookies = browser.setCookies.length > 0 ? { 'set-cookie': browser.setCookies } : {};
      x.send(rs.httpStatus, page(zh, FAILED[zh ? 'zh-CN' : 'en-US'], rs.message), { ...PAGE_HEADERS, ...cookies });
    }
  };
  return [
    { method: 'GET', path: '/oidc/logout', handle },
    { method: 'POST', path: '/oidc/logout', handle },
  ];
}

function page(zh: boolean, title: string, text: string): string {
  return `<!doctype html>
<html lang="${zh ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
