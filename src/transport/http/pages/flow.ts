// What the authorization and device pages share: reading the browser and the form, answering
// with a page or a redirect, and the sign-in step (password, code, captcha) whose form both
// show. A page that fails shows the catalogue's message in the page's language.
import type { Deps } from '../../../domain/deps.js';
import type { ClientContext } from '../../../domain/accounts/clients.js';
import { brandingOf } from '../../../domain/accounts/branding.js';
import { isSignetError } from '../../../domain/errors.js';
import { endBrowserSession, type StartedBrowserSession } from '../../../domain/browser/sso.js';
import {
  pageCaptcha,
  pageWantsCaptcha,
  sendCodeAtPage,
  signInWithCodeAtPage,
  signInWithPasswordAtPage,
} from '../../../domain/browser/sign-in.js';
import { effectivePolicy } from '../../../domain/defence/policy.js';
import type { Locale } from '../../context.js';
import { toStatus } from '../../status.js';
import { parseForm } from '../params.js';
import { BodyTooLarge } from '../request.js';
import type { HttpExchange } from '../server.js';
import { createPublicKey } from 'node:crypto';
import { Browser } from './browser.js';
import { layout, type Brand, type Page } from './html.js';
import { t } from './text.js';
import { loginView, RSA_SCRIPT, type RsaKey } from './views.js';

const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i;

export interface PageRequest {
  x: HttpExchange;
  browser: Browser;
  /** The query string's parameters. */
  query: Map<string, string>;
  /** The form's fields (empty for a GET). */
  form: Map<string, string>;
  locale: Locale;
}

export async function readPageRequest(deps: Deps, x: HttpExchange): Promise<PageRequest> {
  const query = parseForm(x.query);
  const form =
    x.req.method === 'POST' && FORM.test(x.req.headers['content-type'] ?? '')
      ? parseForm((await x.readBody()).toString('utf8'))
      : new Map<string, string>();
  const browser = new Browser(x.req, deps.hmacKey, deps.settings.issuer.startsWith('https:'));
  return { x, browser, query, form, locale: x.ctx.locale };
}

export const value = (m: Map<string, string>, name: string): string => m.get(name) ?? '';

export function send(r: PageRequest, page: Page): void {
  const headers = { ...page.headers };
  if (r.browser.setCookies.length > 0) headers['set-cookie'] = r.browser.setCookies;
  r.x.send(page.status, page.body, headers);
}

export function redirect(r: PageRequest, to: string): void {
  const headers: Record<string, string | string[]> = { location: to, 'cache-control': 'no-store' };
  if (r.browser.setCookies.length > 0) headers['set-cookie'] = r.browser.setCookies;
  r.x.send(302, '', headers);
}

export const brandOf = (cc: ClientContext | null): Brand =>
  cc ? brandingOf(cc.tenant) : { name: 'Signet', logoUrl: null, primaryColor: '' };

/** A refusal as the page shows it: the catalogue's text in the page's language, and its status. */
export const statusOf = (deps: Deps, r: PageRequest, err: unknown) => {
  const rs = toStatus(err, r.locale, deps.log.child({ requestId: r.x.ctx.requestId, rpc: 'hosted_page' }));
  r.x.reason = rs.reason;
  return rs;
};

/** A page that only says something went wrong (and what), for the user: nobody is redirected. */
export function errorPage(deps: Deps, r: PageRequest, err: unknown, cc: ClientContext | null): Page {
  const rs = statusOf(deps, r, err);
  return layout({
    locale: r.locale,
    title: t(r.locale, 'errorTitle'),
    brand: brandOf(cc),
    body: `<p class="alert" role="alert">${escapeText(rs.message)}</p>`,
    status: rs.httpStatus,
  });
}

const escapeText = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Runs a page's handler; a body too large is the server's to answer, anything else a page. */
export async function guarded(deps: Deps, x: HttpExchange, run: (r: PageRequest) => Promise<void>): Promise<void> {
  let r: PageRequest;
  try {
    r = await readPageRequest(deps, x);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw err;
    const fallback: PageRequest = {
      x,
      browser: new Browser(x.req, deps.hmacKey, false),
      query: new Map(),
      form: new Map(),
      locale: x.ctx.locale,
    };
    return send(fallback, errorPage(deps, fallback, err, null));
  }
  try {
    await run(r);
  } catch (err) {
    send(r, errorPage(deps, r, err, null));
  }
}

/** A form post must come from this browser's own page: the CSRF token, and no cross-site fetch. */
export function requireSameSite(r: PageRequest): boolean {
  const site = r.x.req.headers['sec-fetch-site'];
  if (site === 'cross-site') return false;
  return r.browser.csrfValid(value(r.form, 'csrf'));
}

/** Where a sign-in form's buttons lead, and what it says around them. */
export interface SignInForms {
  cc: ClientContext;
  loginUrl: string;
  sendCodeUrl: string;
  resetUrl: string | null;
  login: string;
  formTargets?: string[];
}

export interface LoginState {
  error?: unknown;
  notice?: string;
  sent?: { verificationId: string; to: string } | null;
  /** The refusal that asks for a captcha came from sending a code, not from the password. */
  codeCaptcha?: boolean;
}

export async function loginPage(deps: Deps, r: PageRequest, f: SignInForms, s: LoginState = {}): Promise<Page> {
  const rs =
    s.error === undefined ? null : toStatus(s.error, r.locale, deps.log.child({ requestId: r.x.ctx.requestId, rpc: 'hosted_sign_in' }));
  if (rs) r.x.reason = rs.reason;
  const failedAttempts = Number(rs?.errorInfo.metadata.failed_attempts ?? 0);
  const password = effectivePolicy(f.cc.tenant.policy).secondFactor === 'off';
  const captchaDue = s.codeCaptcha
    ? rs?.reason === 'captcha_required' || rs?.reason === 'captcha_invalid'
    : password && pageWantsCaptcha(f.cc.tenant, rs ? { reason: rs.reason, failedAttempts } : null);
  const captcha = captchaDue ? await pageCaptcha(deps, r.x.ctx.clientIp) : null;
  const rsa = password && f.cc.client.passwordEncryption !== 'none' ? await rsaKey(deps) : null;
  const body = loginView({
    locale: r.locale,
    csrf: r.browser.csrfToken(),
    loginUrl: f.loginUrl,
    sendCodeUrl: f.sendCodeUrl,
    resetUrl: f.resetUrl,
    clientName: f.cc.client.name,
    login: f.login,
    error: rs?.message,
    notice: s.notice,
    captcha: captcha ? { ...captcha, for: s.codeCaptcha ? 'code' : 'password' } : null,
    rsa,
    password,
    sent: s.sent,
  });
  return layout({
    locale: r.locale,
    title: t(r.locale, 'signIn'),
    brand: brandOf(f.cc),
    body,
    script: rsa ? RSA_SCRIPT : undefined,
    formTargets: f.formTargets,
    status: rs?.httpStatus ?? 200,
  });
}

async function rsaKey(deps: Deps): Promise<RsaKey> {
  const key = await deps.transportKeys.current();
  const jwk = createPublicKey(key.publicKeyPem).export({ format: 'jwk' });
  return { n: jwk.n!, e: jwk.e!, bytes: key.bits / 8 };
}

/**
 * The sign-in forms' posts: a password, or a code received (method=code), or a code to send
 * (send=true). Returns the session started, or the page to show again (with the refusal).
 */
export async function signInStep(
  deps: Deps,
  r: PageRequest,
  f: SignInForms,
  send: boolean,
): Promise<{ started: StartedBrowserSession } | { page: Page }> {
  const ip = r.x.ctx.clientIp;
  const captcha = { key: value(r.form, 'captcha_key'), answer: value(r.form, 'captcha_answer') };
  if (send) {
    const to = value(r.form, 'to');
    try {
      const sent = await sendCodeAtPage(deps, { cc: f.cc, to, usage: 'sign_in', captcha, locale: r.locale, ip });
      return { page: await loginPage(deps, r, f, { sent: { verificationId: sent.verificationId, to }, notice: t(r.locale, 'codeSent') }) };
    } catch (err) {
      if (!isSignetError(err)) throw err;
      return { page: await loginPage(deps, r, f, { error: err, codeCaptcha: true }) };
    }
  }
  const method = value(r.form, 'method');
  try {
    const started =
      method === 'code'
        ? await signInWithCodeAtPage(deps, { cc: f.cc, verificationId: value(r.form, 'verification_id'), code: value(r.form, 'code'), ip })
        : await signInWithPasswordAtPage(deps, {
            cc: f.cc,
            login: value(r.form, 'login'),
            password: value(r.form, 'password'),
            captcha,
            ip,
          });
    // Whoever was signed in on this browser before is signed out: one account per browser.
    if (r.browser.sso) await endBrowserSession(deps, r.browser.sso, ip);
    r.browser.signIn(started.cookie, started.maxAgeSeconds);
    return { started };
  } catch (err) {
    if (!isSignetError(err)) throw err;
    const sent = method === 'code' ? { verificationId: value(r.form, 'verification_id'), to: value(r.form, 'to') } : null;
    return { page: await loginPage(deps, r, { ...f, login: value(r.form, 'login') || f.login }, { error: err, sent }) };
  }
}
