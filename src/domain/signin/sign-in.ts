// The sign-in endpoints: SignIn (POST /auth/v1/signin) and CloudBase's encrypted sign-in
// (POST /auth/v2/signin/username). Each reads top to bottom as its steps; the password ones end
// in the one password sign-in path (password.ts), as the token endpoint's password grant does.
import type { Deps } from '../deps.js';
import type { EncryptedSignInCommand, SignInCommand } from '../commands.js';
import type { IssuedTokens } from '../tokens/mint.js';
import { authenticateClient, authorizeClient } from '../accounts/clients.js';
import { admitted, beginChecks } from '../defence/request-checks.js';
import { obtainPassword } from './encrypted-password.js';
import { PASSWORD_CAPTCHA_STATES, passwordSignIn } from './password.js';
import { signInWithVerificationToken } from './code.js';

/** What a password sign-in requires of its client: the password grant and the `user` scope. */
const PASSWORD = { clientGrant: 'password', signsInUsers: true, confidentialOnly: false };

/** Captcha flows the encrypted sign-in accepts a token of: the password ones, and its own route. */
const ENCRYPTED_CAPTCHA_STATES = [...PASSWORD_CAPTCHA_STATES, 'POST:/v2/signin/username'];

export async function signIn(deps: Deps, cmd: SignInCommand): Promise<IssuedTokens> {
  const checks = beginChecks(deps, cmd.ip, cmd.client.clientId);
  return admitted(checks, async () => {
    // A confidential client proves its secret here as at the token endpoint; public clients
    // (browsers, the CloudBase SDK) have none to prove.
    const cc = await authenticateClient(deps.directory, cmd.client, true, checks);
    if (cmd.verificationToken && !cmd.password) {
      await checks.limits();
      return signInWithVerificationToken(deps, cc, { ...cmd, ip: cmd.ip });
    }
    authorizeClient(cc, PASSWORD);
    return obtainPassword(deps, cc.client, { kind: 'field', value: cmd.password }, checks, (p) =>
      passwordSignIn(
        deps,
        cc,
        {
          ...cmd,
          password: p.password,
          captchaStates: PASSWORD_CAPTCHA_STATES,
          method: 'signin',
        },
        checks,
      ),
    );
  });
}

export async function signInEncrypted(deps: Deps, cmd: EncryptedSignInCommand): Promise<IssuedTokens> {
  const checks = beginChecks(deps, cmd.ip, cmd.client.clientId);
  return admitted(checks, async () => {
    const cc = await authenticateClient(deps.directory, cmd.client, true, checks);
    authorizeClient(cc, PASSWORD);
    return obtainPassword(deps, cc.client, { kind: 'params', params: cmd.params, thumbprint: cmd.thumbprint }, checks, (p) =>
      passwordSignIn(
        deps,
        cc,
        {
          ...cmd,
          identifier: p.identifier ?? {},
          password: p.password,
          verificationToken: p.verificationToken ?? '',
          scope: '',
          captchaStates: ENCRYPTED_CAPTCHA_STATES,
          method: 'signin_encrypted',
          hideUnknownUser: p.undecodable,
        },
        checks,
      ),
    );
  });
}
