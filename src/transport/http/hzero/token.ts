// HZERO's two token endpoints, over the same Token handler as /auth/v1/token (so the same client
// authentication, rate limits, device binding and domain rules): only the parameter names and
// the answer shapes are HZERO's.
import type { ServiceHandlers } from '../../context.js';
import { TokenRequest, type TokenResponse } from '../../../gen/signet/auth/v1/token.js';
import { SignetError, invalidArgument } from '../../../domain/errors.js';
import type { Params } from '../params.js';
import type { HzeroCall } from './index.js';
import { mobileFailure, mobileToken, oauthFailure, oauthToken } from './answers.js';

/** The grants of /oauth/oauth/token; the SMS grant has its own endpoint. */
const TOKEN_GRANTS = new Set(['password', 'refresh_token', 'client_credentials']);
/** /oauth/token/mobile: HZERO's apps send "implicit"; Signet's own name is "sms". */
const MOBILE_GRANTS = new Set(['', 'implicit', 'sms']);

/** The fields both endpoints read, under HZERO's names (and Signet's where they differ). */
function tokenRequest(p: Params, grantType: string): TokenRequest {
  return TokenRequest.fromPartial({
    grant_type: grantType,
    client_id: p.get('client_id'),
    client_secret: p.get('client_secret'),
    refresh_token: p.get('refresh_token'),
    username: p.get('username'),
    password: p.get('password'),
    scope: p.get('scope'),
    device_id: p.get('device_id', 'deviceId'),
    source_type: p.get('source_type', 'sourceType'),
    user_type: p.get('user_type', 'userType'),
    login_field: p.get('login_field', 'loginField'),
    phone: p.get('phone'),
    captcha: p.get('captcha'),
    captcha_key: p.get('captchaKey', 'captcha_key'),
  });
}

/** POST /oauth/oauth/token: password (with HZERO's one-step captcha), refresh_token, client_credentials. */
export async function oauthTokenRoute(c: HzeroCall, auth: ServiceHandlers): Promise<void> {
  try {
    const p = await c.params();
    const grantType = p.get('grant_type');
    if (!grantType) throw invalidArgument('grant_type', 'grant_type is required');
    if (!TOKEN_GRANTS.has(grantType))
      throw new SignetError('unsupported_grant_type', 'grant_not_on_route', { metadata: { grant_type: grantType } });
    const t: TokenResponse = await auth.Token(tokenRequest(p, grantType), c.ctx());
    c.x.sendJson(200, oauthToken(t));
  } catch (err) {
    const rs = c.status(err);
    const { status, body } = oauthFailure(rs);
    c.x.sendJson(status, body, rs.retryInfo ? { 'retry-after': String(rs.retryInfo.seconds) } : undefined);
  }
}

/** POST /oauth/token/mobile: the SMS code sign-in; HTTP 200 whatever happens, `success` says. */
export async function mobileTokenRoute(c: HzeroCall, auth: ServiceHandlers): Promise<void> {
  try {
    const p = await c.params();
    const grantType = p.get('grant_type');
    if (!MOBILE_GRANTS.has(grantType))
      throw new SignetError('unsupported_grant_type', 'grant_not_on_route', { metadata: { grant_type: grantType } });
    const t: TokenResponse = await auth.Token(tokenRequest(p, 'sms'), c.ctx());
    c.x.sendJson(200, mobileToken(t));
  } catch (err) {
    c.x.sendJson(200, mobileFailure(c.status(err)));
  }
}
