// Creating accounts: AuthService.SignUp, SignInAnonymously, and AccountService's CheckUsername /
// CheckIfUserExist. Convert, call the domain (domain/accounts/sign-up.ts), convert back.
import type { Deps } from '../domain/deps.js';
import type { HandlersOf } from './context.js';
import type { AccountServiceDefinition } from '../gen/signet/auth/v1/account_service.js';
import type { AuthServiceDefinition } from '../gen/signet/auth/v1/auth_service.js';
import {
  type AnonymousSignInCommand,
  checkIfUserExist,
  checkUsername,
  type SignUpCommand,
  signInAnonymously,
  signUp,
} from '../domain/accounts/sign-up.js';
import { countRefused } from '../domain/defence/request-checks.js';
import { deviceOf, tokenBody } from './auth-in.js';
import { readClientCredentials } from './credentials.js';
import { clientCallOf } from './verification-handlers.js';
import { isPlain, plain } from './line.js';

export function signUpHandlers(deps: Deps): Pick<HandlersOf<typeof AuthServiceDefinition>, 'SignUp' | 'SignInAnonymously'> {
  return {
    async SignUp(req, ctx) {
      let cmd: SignUpCommand;
      try {
        cmd = {
          client: readClientCredentials(req, ctx.metadata.authorization),
          ip: ctx.clientIp,
          deviceId: deviceOf(req.device_id, ctx),
          username: req.username,
          email: req.email,
          phoneNumber: req.phone_number,
          password: req.password,
          verificationToken: req.verification_token,
          profile: { name: req.name, gender: req.gender, picture: req.picture, locale: req.locale },
          anonymousToken: req.anonymous_token,
          captchaToken: plain(req.captcha_token || ctx.metadata['x-captcha-token'] || '', 'captcha_token'),
          userType: req.user_type,
          sourceType: req.source_type,
        };
      } catch (err) {
        // A request refused while it is read counts against the rate limits all the same.
        return countRefused(deps, ctx.clientIp, isPlain(req.client_id) ? req.client_id : '', err);
      }
      return tokenBody(await signUp(deps, cmd));
    },

    async SignInAnonymously(req, ctx) {
      let cmd: AnonymousSignInCommand;
      try {
        cmd = { client: readClientCredentials(req, ctx.metadata.authorization), ip: ctx.clientIp, deviceId: deviceOf(req.device_id, ctx) };
      } catch (err) {
        return countRefused(deps, ctx.clientIp, isPlain(req.client_id) ? req.client_id : '', err);
      }
      return tokenBody(await signInAnonymously(deps, cmd));
    },
  };
}

export function accountCheckHandlers(deps: Deps): Pick<HandlersOf<typeof AccountServiceDefinition>, 'CheckUsername' | 'CheckIfUserExist'> {
  return {
    async CheckUsername(req, ctx) {
      await checkUsername(deps, { ...clientCallOf(req, ctx), username: req.username, userType: req.user_type });
      return {};
    },

    async CheckIfUserExist(req, ctx) {
      const exist = await checkIfUserExist(deps, { ...clientCallOf(req, ctx), username: req.username, userType: req.user_type });
      return { exist };
    },
  };
}
