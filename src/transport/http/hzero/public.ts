// HZERO's public (pre-login) endpoints: the login page's init params, the image captcha and the
// SMS code. Each maps HZERO's parameters onto the handler or domain function Signet's own API
// uses, and answers in HZERO's shape.
import type { Deps } from '../../../domain/deps.js';
import type { ServiceHandlers } from '../../context.js';
import { SignetError } from '../../../domain/errors.js';
import { formatMessage, MESSAGES } from '../../messages.js';
import { GetSignInOptionsRequest, type GetSignInOptionsResponse, type OpenLoginWay } from '../../../gen/signet/auth/v1/transport.js';
import { SendVerificationRequest, type SendVerificationResponse } from '../../../gen/signet/auth/v1/verification.js';
import { SIGN_IN_USAGE } from '../../../domain/signin/code.js';
import type { HzeroCall } from './index.js';
import { captchaResult, hzeroCode, plainFailure } from './answers.js';
import { HZERO_CAPTCHA_STATE, svgToPng } from './captcha.js';
import { captchaImage, createCaptchaWithImage } from '../../../domain/defence/captcha.js';

/** HZERO's names for a channel: its pages say "pc" where Signet says "web". */
const hzeroChannel = (c: string) => (c === 'web' ? 'pc' : c);

/**
 * HZERO's open-login entry. Signet keeps the tenant's ways as an ordered list without ids or
 * OAuth scopes of their own, so the position in the answer is both the id and the order (HZERO's
 * pages sort by orderSeq and link by appCode), and scope is null.
 */
const openLoginWay = (w: OpenLoginWay, i: number) => ({
  openAppId: i + 1,
  channel: hzeroChannel(w.channel),
  appCode: w.app_code,
  appName: w.app_name,
  appImage: w.app_image,
  scope: null,
  orderSeq: i + 1,
});

/** GET /oauth/login/init-params: the same answer as GetSignInOptions, in HZERO's names. */
export async function initParamsRoute(c: HzeroCall, auth: ServiceHandlers): Promise<void> {
  try {
    const p = await c.params();
    const req = GetSignInOptionsRequest.fromPartial({
      client_id: p.get('client_id'),
      username: p.get('username'),
      channel: p.get('channel'),
      user_type: p.get('user_type', 'userType'),
    });
    const o: GetSignInOptionsResponse = await auth.GetSignInOptions(req, c.ctx());
    c.x.sendJson(200, { isNeedCaptcha: o.is_need_captcha, openLoginWays: o.open_login_ways.map(openLoginWay) });
  } catch (err) {
    const rs = c.status(err);
    c.x.sendJson(rs.httpStatus, plainFailure(rs));
  }
}

/** GET /oauth/public/captcha-code: a new challenge; HZERO's CaptchaResult, HTTP 200 either way. */
export async function captchaCodeRoute(c: HzeroCall, deps: Deps): Promise<void> {
  try {
    const key = await createCaptchaWithImage(deps, { ip: c.x.ctx.clientIp, state: HZERO_CAPTCHA_STATE }, svgToPng);
    c.x.sendJson(200, captchaResult(key));
  } catch (err) {
    c.x.sendJson(200, captchaResult(null, c.status(err)));
  }
}

/** GET /oauth/public/captcha/{captchaKey}: the picture, never cached (each key is one challenge). */
export async function captchaImageRoute(c: HzeroCall, deps: Deps): Promise<void> {
  const png = await captchaImage(deps, c.x.params.captchaKey ?? '');
  if (!png) {
    c.x.sendJson(404, plainFailure(c.status(new SignetError('not_found', 'captcha_unknown'))));
    return;
  }
  c.x.send(200, png, {
    'content-type': 'image/png',
    'cache-control': 'no-cache, no-store, must-revalidate',
    pragma: 'no-cache',
    expires: '0',
  });
}

/** "13800000000" with "+86" (HZERO's default), or a number that already has its +CC. */
function phoneNumber(phone: string, code: string): string {
  const p = phone.trim();
  if (p === '' || p.startsWith('+')) return p;
  const cc = code.trim() || '+86';
  return `${cc.startsWith('+') ? cc : `+${cc}`} ${p}`;
}

/**
 * GET /oauth/public/send-phone-captcha: a sign-in code to a known user's phone (SendVerification
 * with target USER, usage sign_in). The captchaKey answered is the verification id that
 * /oauth/token/mobile takes back. HTTP 200 either way.
 */
export async function sendPhoneCaptchaRoute(c: HzeroCall, deps: Deps, auth: ServiceHandlers): Promise<void> {
  try {
    const p = await c.params();
    const req = SendVerificationRequest.fromPartial({
      phone_number: phoneNumber(p.get('phone'), p.get('internationalTelCode')),
      target: 'USER',
      usage: SIGN_IN_USAGE,
      user_type: p.get('user_type', 'userType'),
      client_id: p.get('client_id'),
    });
    const sent: SendVerificationResponse = await auth.SendVerification(req, c.ctx());
    const ok = MESSAGES['ok.code_sent'];
    c.x.sendJson(200, {
      success: true,
      code: ok.hzeroKey,
      message: formatMessage(ok, c.locale()),
      captchaKey: sent.verification_id,
      interval: deps.settings.codes.resendSeconds,
    });
  } catch (err) {
    const rs = c.status(err);
    const wait = rs.messageId === 'resource_exhausted.code_resend' ? (rs.retryInfo?.seconds ?? 0) : 0;
    c.x.sendJson(200, { success: false, code: hzeroCode(rs), message: rs.message, captchaKey: null, interval: wait });
  }
}
