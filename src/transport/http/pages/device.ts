// The hosted device page (RFC 8628 3.3), where verification_uri points: the user enters the
// code their device shows, signs in to the device's tenant if the browser is not already, and
// approves or denies. Read `deviceRoutes` for the paths.
import type { Deps } from '../../../domain/deps.js';
import type { ClientContext } from '../../../domain/accounts/clients.js';
import { decideDeviceAtPage, deviceClientAtPage } from '../../../domain/browser/device.js';
import { readBrowserSession, type BrowserSession } from '../../../domain/browser/sso.js';
import { isSignetError } from '../../../domain/errors.js';
import type { ExtraRoute, HttpExchange } from '../server.js';
import { layout } from './html.js';
import { t } from './text.js';
import { deviceCodeView, deviceConfirmView, messageView } from './views.js';
import {
  brandOf,
  errorPage,
  guarded,
  loginPage,
  requireSameSite,
  send,
  signInStep,
  statusOf,
  value,
  type PageRequest,
  type SignInForms,
} from './flow.js';
import { forbidden } from './authorize.js';

export const DEVICE_PATH = '/device';

export function deviceRoutes(deps: Deps): ExtraRoute[] {
  const page = (step: (r: PageRequest) => Promise<void>, post: boolean) => (x: HttpExchange) =>
    guarded(deps, x, async (r) => {
      if (post && !requireSameSite(r)) return send(r, errorPage(deps, r, forbidden(), null));
      await step(r);
    });
  return [
    { method: 'GET', path: DEVICE_PATH, handle: page((r) => codePage(deps, r, value(r.query, 'user_code'), null), false) },
    { method: 'POST', path: DEVICE_PATH, handle: page((r) => entered(deps, r), true) },
    { method: 'POST', path: `${DEVICE_PATH}/login`, handle: page((r) => login(deps, r, false), true) },
    { method: 'POST', path: `${DEVICE_PATH}/code`, handle: page((r) => login(deps, r, true), true) },
    { method: 'POST', path: `${DEVICE_PATH}/decide`, handle: page((r) => decide(deps, r), true) },
  ];
}

async function codePage(deps: Deps, r: PageRequest, userCode: string, error: unknown): Promise<void> {
  const rs = error === null ? null : statusOf(deps, r, error);
  const body = deviceCodeView(r.locale, r.browser.csrfToken(), DEVICE_PATH, userCode.slice(0, 16), rs?.message ?? '');
  send(r, layout({ locale: r.locale, title: t(r.locale, 'deviceTitle'), brand: brandOf(null), body, status: rs?.httpStatus ?? 200 }));
}

/** The code's client, or the code page again with the refusal. */
async function deviceClient(deps: Deps, r: PageRequest, userCode: string): Promise<ClientContext | null> {
  try {
    return await deviceClientAtPage(deps, { ip: r.x.ctx.clientIp, userCode });
  } catch (err) {
    if (!isSignetError(err)) throw err;
    await codePage(deps, r, userCode, err);
    return null;
  }
}

async function entered(deps: Deps, r: PageRequest): Promise<void> {
  const userCode = value(r.form, 'user_code');
  const cc = await deviceClient(deps, r, userCode);
  if (!cc) return;
  const session = await readBrowserSession(deps, r.browser.sso, cc.tenant.id);
  if (session) return confirmPage(r, cc, userCode, session);
  send(r, await loginPage(deps, r, forms(cc, userCode)));
}

async function login(deps: Deps, r: PageRequest, sendCode: boolean): Promise<void> {
  const userCode = value(r.query, 'user_code');
  const cc = await deviceClient(deps, r, userCode);
  if (!cc) return;
  const step = await signInStep(deps, r, forms(cc, userCode), sendCode);
  if ('page' in step) return send(r, step.page);
  confirmPage(r, cc, userCode, step.started.session);
}

function confirmPage(r: PageRequest, cc: ClientContext, userCode: string, s: BrowserSession): void {
  const user = s.user.username ?? s.user.email ?? s.user.phoneNumber ?? s.user.id;
  const body = deviceConfirmView(r.locale, r.browser.csrfToken(), `${DEVICE_PATH}/decide`, cc.client.name, userCode, user);
  send(r, layout({ locale: r.locale, title: t(r.locale, 'deviceTitle'), brand: brandOf(cc), body }));
}

async function decide(deps: Deps, r: PageRequest): Promise<void> {
  const userCode = value(r.form, 'user_code');
  const cc = await deviceClient(deps, r, userCode);
  if (!cc) return;
  const session = await readBrowserSession(deps, r.browser.sso, cc.tenant.id);
  if (!session) {
    return send(r, await loginPage(deps, r, forms(cc, userCode)));
  }
  const approve = value(r.form, 'decision') === 'approve';
  const done = await decideDeviceAtPage(deps, session, { ip: r.x.ctx.clientIp, userCode, approve });
  const text = t(r.locale, done.status === 'approved' ? 'deviceApproved' : 'deviceDenied');
  send(r, layout({ locale: r.locale, title: t(r.locale, 'deviceTitle'), brand: brandOf(cc), body: messageView(text, false) }));
}

function forms(cc: ClientContext, userCode: string): SignInForms {
  const q = new URLSearchParams({ user_code: userCode }).toString();
  return { cc, loginUrl: `${DEVICE_PATH}/login?${q}`, sendCodeUrl: `${DEVICE_PATH}/code?${q}`, resetUrl: null, login: '' };
}
