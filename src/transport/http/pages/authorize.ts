// The authorization endpoint with its hosted pages (GET and POST /oidc/authorize), and the
// posts of those pages: sign in, send a code, consent, reset a forgotten password. Each post
// carries the authorization request in its URL, so every step checks it afresh, as the first did.
// Read `authorizeRoutes` for the paths, then `entry`.
import type { Deps } from '../../../domain/deps.js';
import {
  authorizationErrorOf,
  checkRequest,
  trustRedirect,
  type AuthorizationParams,
  type AuthorizationRequest,
  type TrustedRedirect,
} from '../../../domain/browser/request.js';
import { answerConsent, continueAuthorization, errorRedirect, type Next } from '../../../domain/browser/authorize.js';
import { readBrowserSession } from '../../../domain/browser/sso.js';
import { resetPasswordAtPage } from '../../../domain/browser/recovery.js';
import { pageCaptcha, sendCodeAtPage } from '../../../domain/browser/sign-in.js';
import { SignetError, isSignetError } from '../../../domain/errors.js';
import { toStatus } from '../../status.js';
import type { ExtraRoute, HttpExchange } from '../server.js';
import { layout } from './html.js';
import { pageLocale, t } from './text.js';
import { consentView, resetView } from './views.js';
import {
  brandOf,
  errorPage,
  guarded,
  loginPage,
  redirect,
  requireSameSite,
  send,
  signInStep,
  statusOf,
  value,
  type PageRequest,
  type SignInForms,
} from './flow.js';

export const AUTHORIZE_PATH = '/oidc/authorize';

const PARAMS: Record<keyof AuthorizationParams, string> = {
  clientId: 'client_id',
  redirectUri: 'redirect_uri',
  responseType: 'response_type',
  responseMode: 'response_mode',
  scope: 'scope',
  state: 'state',
  nonce: 'nonce',
  codeChallenge: 'code_challenge',
  codeChallengeMethod: 'code_challenge_method',
  prompt: 'prompt',
  maxAge: 'max_age',
  loginHint: 'login_hint',
  uiLocales: 'ui_locales',
  request: 'request',
  requestUri: 'request_uri',
};

export function authorizeRoutes(deps: Deps): ExtraRoute[] {
  const page = (step: (r: PageRequest, a: Authorization) => Promise<void>, post: boolean) => (x: HttpExchange) =>
    guarded(deps, x, async (r) => {
      // The request itself may come as a form post; the pages' own posts carry it in their URL.
      const a = await authorization(deps, r, !post);
      if (!a) return;
      if (post && !requireSameSite(r)) return send(r, errorPage(deps, r, forbidden(), a.cc));
      await step(r, a);
    });
  return [
    { method: 'GET', path: AUTHORIZE_PATH, handle: page((r, a) => entry(deps, r, a), false) },
    // OpenID Connect Core 3.1.2.1: the request may also come as a form post.
    { method: 'POST', path: AUTHORIZE_PATH, handle: page((r, a) => entry(deps, r, a), false) },
    { method: 'POST', path: `${AUTHORIZE_PATH}/login`, handle: page((r, a) => login(deps, r, a, false), true) },
    { method: 'POST', path: `${AUTHORIZE_PATH}/code`, handle: page((r, a) => login(deps, r, a, true), true) },
    { method: 'POST', path: `${AUTHORIZE_PATH}/consent`, handle: page((r, a) => consent(deps, r, a), true) },
    { method: 'GET', path: `${AUTHORIZE_PATH}/reset`, handle: page((r, a) => reset(deps, r, a, 'show'), false) },
    { method: 'POST', path: `${AUTHORIZE_PATH}/reset/code`, handle: page((r, a) => reset(deps, r, a, 'send'), true) },
    { method: 'POST', path: `${AUTHORIZE_PATH}/reset`, handle: page((r, a) => reset(deps, r, a, 'reset'), true) },
  ];
}

/** A request read and checked, with the URLs of its pages' forms. */
interface Authorization {
  req: AuthorizationRequest;
  cc: { client: AuthorizationRequest['client']; tenant: AuthorizationRequest['tenant'] };
  params: AuthorizationParams;
}

/**
 * Reads the request from the URL (and, for the first step, a form post's body). An untrusted
 * client or redirect URI is a page; any other refusal goes back to the client. Null: answered.
 */
async function authorization(deps: Deps, r: PageRequest, entry: boolean): Promise<Authorization | null> {
  const from = entry ? new Map([...r.form, ...r.query]) : r.query;
  const params = Object.fromEntries(Object.entries(PARAMS).map(([k, name]) => [k, value(from, name)])) as unknown as AuthorizationParams;
  r.locale = pageLocale(params.uiLocales.split(' ').filter(Boolean), r.x.ctx.locale);
  let trusted: TrustedRedirect;
  try {
    trusted = await trustRedirect(deps, params, r.x.ctx.clientIp);
  } catch (err) {
    send(r, errorPage(deps, r, err, null));
    return null;
  }
  try {
    const req = checkRequest(trusted, params);
    return { req, cc: { client: req.client, tenant: req.tenant }, params };
  } catch (err) {
    redirect(r, refusalRedirect(deps, r, trusted, err));
    return null;
  }
}

function refusalRedirect(deps: Deps, r: PageRequest, t: TrustedRedirect, err: unknown): string {
  const rs = toStatus(err, 'en', deps.log.child({ requestId: r.x.ctx.requestId, rpc: 'authorize' }));
  r.x.reason = rs.reason;
  const description = isSignetError(err) ? (err.details.fieldViolations?.[0]?.description ?? rs.message) : rs.message;
  return errorRedirect(deps, t, authorizationErrorOf(err), description);
}

async function entry(deps: Deps, r: PageRequest, a: Authorization): Promise<void> {
  const session = await readBrowserSession(deps, r.browser.sso, a.req.tenant.id);
  await answer(deps, r, a, await continueAuthorization(deps, a.req, session));
}

async function login(deps: Deps, r: PageRequest, a: Authorization, sendCode: boolean): Promise<void> {
  const step = await signInStep(deps, r, forms(a), sendCode);
  if ('page' in step) return send(r, step.page);
  await answer(deps, r, a, await continueAuthorization(deps, a.req, step.started.session, { signedIn: true }), true);
}

async function consent(deps: Deps, r: PageRequest, a: Authorization): Promise<void> {
  const session = await readBrowserSession(deps, r.browser.sso, a.req.tenant.id);
  await answer(deps, r, a, await answerConsent(deps, a.req, session, value(r.form, 'decision') === 'approve'));
}

async function reset(deps: Deps, r: PageRequest, a: Authorization, step: 'show' | 'send' | 'reset'): Promise<void> {
  const q = queryOf(a.params);
  const view = {
    locale: r.locale,
    csrf: r.browser.csrfToken(),
    sendCodeUrl: `${AUTHORIZE_PATH}/reset/code?${q}`,
    resetUrl: `${AUTHORIZE_PATH}/reset?${q}`,
    backUrl: `${AUTHORIZE_PATH}?${q}`,
  };
  const show = async (more: { error?: unknown; sent?: { verificationId: string; to: string } | null; captcha?: boolean }) => {
    const rs = more.error === undefined ? null : statusOf(deps, r, more.error);
    const captcha = more.captcha ? await pageCaptcha(deps, r.x.ctx.clientIp) : null;
    send(
      r,
      layout({
        locale: r.locale,
        title: t(r.locale, 'resetTitle'),
        brand: brandOf(a.cc),
        body: resetView({ ...view, error: rs?.message, sent: more.sent, captcha }),
        status: rs?.httpStatus ?? 200,
      }),
    );
  };
  const to = value(r.form, 'to');
  const ip = r.x.ctx.clientIp;
  try {
    if (step === 'show') return await show({});
    if (step === 'send') {
      const captcha = { key: value(r.form, 'captcha_key'), answer: value(r.form, 'captcha_answer') };
      const sent = await sendCodeAtPage(deps, { cc: a.cc, to, usage: 'reset_password', captcha, locale: r.locale, ip });
      return await show({ sent: { verificationId: sent.verificationId, to } });
    }
    const verificationId = value(r.form, 'verification_id');
    await resetPasswordAtPage(deps, {
      cc: a.cc,
      to,
      verificationId,
      code: value(r.form, 'code'),
      newPassword: value(r.form, 'new_password'),
      ip,
    });
    send(r, await loginPage(deps, r, forms(a), { notice: t(r.locale, 'resetDone') }));
  } catch (err) {
    if (!isSignetError(err)) throw err;
    const sent = step === 'reset' ? { verificationId: value(r.form, 'verification_id'), to } : null;
    const captcha = step === 'send' && (err.reason === 'captcha_required' || err.reason === 'captcha_invalid');
    await show({ error: err, sent, captcha });
  }
}

/** The user's answer: the client's redirect, the login page, or the consent page. */
async function answer(deps: Deps, r: PageRequest, a: Authorization, next: Next, signedInNow = false): Promise<void> {
  if (next.kind === 'redirect') return redirect(r, next.to);
  if (next.kind === 'login') return send(r, await loginPage(deps, r, forms(a)));
  // Signed in just now: the consent post must not ask for it again (prompt=login, max_age).
  const params = signedInNow ? { ...a.params, prompt: withoutLogin(a.params.prompt), maxAge: '' } : a.params;
  const body = consentView({
    locale: r.locale,
    csrf: r.browser.csrfToken(),
    url: `${AUTHORIZE_PATH}/consent?${queryOf(params)}`,
    clientName: a.req.client.name,
    user: next.session.user.username ?? next.session.user.email ?? next.session.user.phoneNumber ?? next.session.user.id,
    scopes: a.req.scope,
  });
  send(r, layout({ locale: r.locale, title: t(r.locale, 'consentTitle'), brand: brandOf(a.cc), body, formTargets: [a.req.redirectUri] }));
}

function forms(a: Authorization): SignInForms {
  const q = queryOf(a.params);
  return {
    cc: a.cc,
    loginUrl: `${AUTHORIZE_PATH}/login?${q}`,
    sendCodeUrl: `${AUTHORIZE_PATH}/code?${q}`,
    resetUrl: `${AUTHORIZE_PATH}/reset?${q}`,
    login: a.req.loginHint,
    formTargets: [a.req.redirectUri],
  };
}

/** prompt without what asked for the sign-in just made (select_account reads as login). */
const withoutLogin = (prompt: string) =>
  prompt
    .split(' ')
    .filter((p) => p !== '' && p !== 'login' && p !== 'select_account')
    .join(' ');

/** The request as a query string: what the pages' forms post back with. */
function queryOf(p: AuthorizationParams): string {
  const q = new URLSearchParams();
  for (const [k, name] of Object.entries(PARAMS)) {
    const v = p[k as keyof AuthorizationParams];
    if (v) q.append(name, v);
  }
  return q.toString();
}

/** A post without this browser's CSRF token, or from another site: refused before anything runs. */
export const forbidden = () => new SignetError('permission_denied', 'csrf_invalid');
