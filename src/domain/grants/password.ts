import type { Grant } from './types.js';
import { authenticateClient } from '../clients.js';
import { signInWithPassword } from '../signin.js';
import { withPassword } from '../encrypted_password.js';

/** Captcha flows a password sign-in accepts a token of (CloudBase names them after the route). */
export const PASSWORD_CAPTCHA_STATES = ['POST:/v1/signin', 'POST:/v1/token'];

/** Resource owner password credentials (RFC 6749 4.3), with the same rules as SignIn. */
export const passwordGrant: Grant = async (deps, req) => {
  const cc = await authenticateClient(deps.directory, req.credentials, true, req.admission);
  // The password is decrypted (per the client's password_encryption) before the lockout counts or compares anything.
  return withPassword(deps, cc.client, req.password ?? '', (password) => signInWithPassword(deps, cc, {
    username: req.username,
    login_field: req.login_field,
    password,
    user_type: req.user_type,
    scope: req.scope,
    deviceId: req.deviceId,
    source_type: req.source_type,
    verification_token: req.verification_token,
    captcha: { token: req.captcha_token, key: req.captcha_key, answer: req.captcha },
    captchaStates: PASSWORD_CAPTCHA_STATES,
    ip: req.ip,
    admission: req.admission,
    method: 'password',
  }), req.admission);
};
