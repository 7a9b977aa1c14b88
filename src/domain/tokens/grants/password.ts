import type { Grant } from './grant.js';
import { obtainPassword } from '../../signin/encrypted-password.js';
import { PASSWORD_CAPTCHA_STATES, passwordSignIn } from '../../signin/password.js';

/** Resource owner password credentials (RFC 6749 4.3): the one password sign-in path, as SignIn. */
export const passwordGrant: Grant = {
  clientGrant: 'password',
  signsInUsers: true,
  confidentialOnly: false,
  passwordSignIn: true,
  run: (deps, cc, cmd, checks) =>
    obtainPassword(deps, cc.client, { kind: 'field', value: cmd.password }, checks, (p) =>
      passwordSignIn(
        deps,
        cc,
        {
          identifier: cmd.identifier,
          password: p.password,
          userType: cmd.userType,
          scope: cmd.scope,
          sourceType: cmd.sourceType,
          deviceId: cmd.deviceId,
          ip: cmd.ip,
          verificationToken: cmd.verificationToken,
          captcha: cmd.captcha,
          captchaStates: PASSWORD_CAPTCHA_STATES,
          method: 'password',
        },
        checks,
      ),
    ),
};
