// AuthService.GetSignInOptions: convert, call the domain (domain/signin/options.ts), convert back.
// The HZERO dialect's /oauth/login/init-params calls this same handler.
import type { Deps } from '../domain/deps.js';
import type { HandlersOf } from './context.js';
import type { AuthServiceDefinition } from '../gen/signet/auth/v1/auth_service.js';
import type { GetSignInOptionsRequest, GetSignInOptionsResponse, OpenLoginWay as OpenLoginWayPb } from '../gen/signet/auth/v1/transport.js';
import type { OpenLoginWay } from '../domain/model.js';
import { readClientCredentials } from './credentials.js';
import { signInOptions } from '../domain/signin/options.js';

export const loginWayOut = (w: OpenLoginWay): OpenLoginWayPb => ({
  app_code: w.appCode,
  app_name: w.appName,
  app_image: w.appImage,
  channel: w.channel,
  authorize_url: w.authorizeUrl,
});

export function signInOptionsHandlers(deps: Deps): Pick<HandlersOf<typeof AuthServiceDefinition>, 'GetSignInOptions'> {
  return {
    async GetSignInOptions(req: GetSignInOptionsRequest, ctx): Promise<GetSignInOptionsResponse> {
      const o = await signInOptions(deps, {
        client: readClientCredentials(req, ctx.metadata.authorization),
        accessToken: '',
        ip: ctx.clientIp,
        username: req.username,
        channel: req.channel,
        userType: req.user_type,
      });
      return { is_need_captcha: o.needCaptcha, open_login_ways: o.openLoginWays.map(loginWayOut) };
    },
  };
}
