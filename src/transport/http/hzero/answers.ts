// The bodies HZERO's front ends and apps read, built from Signet's answers. Errors come from the
// one rendering of a SignetError (status.ts): `code` is its catalogue entry's HZERO key (the
// Signet reason where HZERO has none) and `message` its localized text.
import type { RenderedStatus } from '../../status.js';
import type { TokenResponse } from '../../../gen/signet/auth/v1/token.js';

/** The catalogue key an HZERO client switches on. */
export const hzeroCode = (rs: RenderedStatus): string => rs.hzeroKey ?? rs.reason;

/** Spring Security OAuth's token answer: lower-case "bearer", no refresh_token when there is none. */
export function oauthToken(t: TokenResponse): Record<string, unknown> {
  return {
    access_token: t.access_token,
    token_type: 'bearer',
    ...(t.refresh_token ? { refresh_token: t.refresh_token } : {}),
    expires_in: t.expires_in,
    scope: t.scope,
  };
}

/** OAuth's error code and HTTP status of a reason (RFC 6749 5.2; HZERO's "unauthorized" for sign-in refusals). */
function oauthError(rs: RenderedStatus): { error: string; status: number } {
  switch (rs.reason) {
    case 'invalid_client':
      return { error: 'invalid_client', status: 401 };
    case 'unauthorized_client':
      return { error: 'unauthorized_client', status: 401 };
    case 'invalid_grant':
      return { error: 'invalid_grant', status: 400 };
    case 'unsupported_grant_type':
      return { error: 'unsupported_grant_type', status: 400 };
    case 'invalid_scope':
      return { error: 'invalid_scope', status: 400 };
    case 'invalid_argument':
      return { error: 'invalid_request', status: 400 };
    case 'internal':
      return { error: 'server_error', status: 500 };
    // A dependency is away: retry (Retry-After says when), as RFC 6749 4.1.2.1 words it.
    case 'unavailable':
      return { error: 'temporarily_unavailable', status: 503 };
    // A wrong password, a lock, a captcha, an account state: HZERO answers all as a failed login.
    default:
      return { error: 'unauthorized', status: 401 };
  }
}

/**
 * HZERO's token failure: `{error, error_description, success:false, code, message}`, and for a
 * wrong password the failures so far and the attempts left as strings (errorTimes, surplusTimes).
 * error_description is the key, as HZERO's own answers have it; `message` is the text.
 */
export function oauthFailure(rs: RenderedStatus): { status: number; body: Record<string, unknown> } {
  const { error, status } = oauthError(rs);
  const code = hzeroCode(rs);
  const body: Record<string, unknown> = { error, error_description: code, success: false, code };
  const md = rs.errorInfo.metadata;
  if (rs.reason === 'invalid_password' && md.limit_remaining !== undefined && md.failed_attempts !== undefined) {
    body.errorTimes = md.failed_attempts;
    body.surplusTimes = md.limit_remaining;
  }
  body.message = rs.message;
  return { status, body };
}

/** /oauth/token/mobile: always HTTP 200, success or not, in one shape. */
export function mobileToken(t: TokenResponse): Record<string, unknown> {
  return {
    success: true,
    code: null,
    message: null,
    accessToken: t.access_token,
    refreshToken: t.refresh_token || null,
    expiresIn: t.expires_in,
    scope: t.scope,
  };
}

export function mobileFailure(rs: RenderedStatus): Record<string, unknown> {
  return {
    success: false,
    code: hzeroCode(rs),
    message: rs.message,
    accessToken: null,
    refreshToken: null,
    expiresIn: null,
    scope: null,
  };
}

/** HZERO's CaptchaResult of /oauth/public/captcha-code. */
export function captchaResult(captchaKey: string | null, rs?: RenderedStatus): Record<string, unknown> {
  return {
    captchaKey,
    success: rs === undefined,
    captcha: null,
    code: rs ? hzeroCode(rs) : null,
    message: rs ? rs.message : null,
    interval: 0,
    errorTimes: 0,
    surplusTimes: 0,
  };
}

/** The answer of the endpoints without a shape of their own (init-params). */
export function plainFailure(rs: RenderedStatus): Record<string, unknown> {
  return { success: false, code: hzeroCode(rs), message: rs.message };
}
