// The sign-in endpoints: SignIn (POST /auth/v1/signin) and CloudBase's encrypted sign-in
// (POST /auth/v2/signin/username) and its code sign-in (POST /auth/v2/signin/verificationcode). Each reads top to bottom as its steps; the password ones end
// in the one password sign-in path (password.ts), as the token endpoint's password grant does.
import type { Deps } from '../deps.js';
import type { CodeSignInCommand, EncryptedSignInCommand, PasswordInput, SignInCommand } from '../commands.js';
import type { IssuedTokens } from '../tokens/mint.js';
import { authenticateClient, authorizeClient, grantScope, requireUserScope } from '../accounts/clients.js';
import { admitted, beginChecks } from '../defence/request-checks.js';
import { obtainPassword } from './encrypted-password.js';
import { PASSWORD_CAPTCHA_STATES, auditedSignIn, passwordSignIn } from './password.js';
import { SIGN_IN_USAGE, signInWithVerificationToken, startVerifiedSession } from './code.js';
import { SignetError, invalidArgument } from '../errors.js';
import { checkCode, type VerifiedDestination } from '../defence/codes.js';
import { readChannel, readUserType } from './rules.js';
import type { AuditEventInput } from '../ports.js';

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

/**
 * CloudBase's v2 sign-in: RSA `params` holding {username, password}, or, from an SDK not asked to
 * encrypt, plain `username` and `password`. The plain ones are read as SignIn reads its password
 * field (a client whose password_encryption is `required` refuses a plain password), then both
 * take the one password path.
 */
export async function signInEncrypted(deps: Deps, cmd: EncryptedSignInCommand): Promise<IssuedTokens> {
  const checks = beginChecks(deps, cmd.ip, cmd.client.clientId);
  return admitted(checks, async () => {
    const cc = await authenticateClient(deps.directory, cmd.client, true, checks);
    authorizeClient(cc, PASSWORD);
    const plain = cmd.params === '';
    const input: PasswordInput = plain
      ? { kind: 'field', value: cmd.password }
      : { kind: 'params', params: cmd.params, thumbprint: cmd.thumbprint };
    return obtainPassword(deps, cc.client, input, checks, (p) =>
      passwordSignIn(
        deps,
        cc,
        {
          ...cmd,
          identifier: plain ? { username: cmd.username } : (p.identifier ?? {}),
          password: p.password,
          verificationToken: p.verificationToken ?? '',
          scope: '',
          captchaStates: ENCRYPTED_CAPTCHA_STATES,
          method: plain ? 'signin_v2' : 'signin_encrypted',
          hideUnknownUser: p.undecodable,
        },
        checks,
      ),
    );
  });
}

/**
 * CloudBase's v2 code sign-in: a right code sent for signing in (usage sign_in, or none) signs in
 * the user it was sent to, in one step. Counted against the rate limits like every sign-in, before
 * the code is compared; a code of another tenant counts as a wrong one.
 */
export async function signInWithCode(deps: Deps, cmd: CodeSignInCommand): Promise<IssuedTokens> {
  const checks = beginChecks(deps, cmd.ip, cmd.client.clientId);
  return admitted(checks, async () => {
    const cc = await authenticateClient(deps.directory, cmd.client, true, checks);
    const audit: AuditEventInput = { event: 'sign_in', tenantId: cc.tenant.id, clientId: cc.client.id, deviceId: cmd.deviceId, ip: cmd.ip };
    return auditedSignIn(deps, audit, 'verification_code', async () => {
      requireUserScope(cc);
      const scope = grantScope(cc.client, '');
      const channel = readChannel('', cmd.deviceId);
      const claimedType = cmd.userType ? readUserType(cmd.userType) : undefined;
      if (!cmd.verificationId) throw invalidArgument('verification_id', 'the id of the code sent is required');
      if (!cmd.code) throw invalidArgument('verification_code', 'the code received is required');
      await checks.limits();
      const sent = await checkSignInCode(deps, cc.tenant.id, cmd.verificationId, cmd.code);
      if (claimedType && claimedType !== sent.userType) throw new SignetError('invalid_grant', 'user_type_mismatch');
      const field = sent.channel === 'sms' ? 'phone' : 'email';
      const tokens = await startVerifiedSession(deps, cc, {
        userType: sent.userType,
        field,
        value: sent.destination,
        scope,
        deviceId: cmd.deviceId,
        channel,
      });
      audit.userId = tokens.sub;
      return tokens;
    });
  });
}

/** A right code sent for signing in (usage sign_in, or none) to this tenant; a code of another tenant counts as a wrong one. */
export async function checkSignInCode(deps: Deps, tenantId: string, verificationId: string, code: string): Promise<VerifiedDestination> {
  const sent = await checkCode(deps, verificationId, code, { tenantId, destination: '' });
  // A code sent for another purpose (a password reset, a contact change) never signs in.
  if (sent.usage !== '' && sent.usage !== SIGN_IN_USAGE)
    throw new SignetError('invalid_grant', 'code_usage', { metadata: { reason: 'code_usage' } });
  return sent;
}
