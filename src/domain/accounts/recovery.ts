// Getting back into an account without a session: ResetPassword (a code to the account's
// address) and UpdatePasswordWithoutSession (CloudBase v2: the old password, both RSA-encrypted).
// Each counts against the rate limits before any hash; neither tells which accounts exist to
// someone who has not proved the address or the password.
import { SignetError, invalidArgument } from '../errors.js';
import type { AuditEventInput } from '../ports.js';
import { admitted, beginChecks } from '../defence/request-checks.js';
import { PASSWORD_CAPTCHA_STATES } from '../signin/password.js';
import type { Deps } from '../deps.js';
import type { ClientCredentials } from '../commands.js';
import { authenticateClient, authorizeClient, requireUserScope } from './clients.js';
import { readIdentifier } from './identity.js';
import { enforcePasswordPolicy } from './password-policy.js';
import { consumeVerificationToken } from '../defence/codes.js';
import { readDestination } from '../defence/endpoints.js';
import { identifierKey } from '../defence/gate.js';
import { checkUsable, readUserType } from '../signin/rules.js';
import { decryptPasswordText } from '../signin/encrypted-password.js';
import { clearLocks, reauthenticate, setNewPassword } from './reauth.js';

export interface ResetPasswordCommand {
  client: ClientCredentials;
  ip: string;
  email: string;
  phoneNumber: string;
  verificationToken: string;
  newPassword: string;
}

/**
 * The token (a code of usage RESET_PASSWORD) proves the address; the account is whoever holds it.
 * The token is spent before anything about the account is told, so without it nothing is.
 */
export async function resetPassword(deps: Deps, cmd: ResetPasswordCommand): Promise<void> {
  await deps.limiter.checkRequest(cmd.ip, cmd.client.clientId);
  const cc = await authenticateClient(deps.directory, cmd.client, false);
  requireUserScope(cc);
  const { tenant, client } = cc;
  const to = readDestination(cmd.phoneNumber, cmd.email);
  if (!cmd.newPassword) throw invalidArgument('new_password', 'new_password is required');
  if (!cmd.verificationToken) throw invalidArgument('verification_token', 'verification_token is required');
  // What the policy can say without the account comes before the token is spent on it.
  enforcePasswordPolicy(tenant.policy, cmd.newPassword, {}, 'new_password');
  const badToken = (detail: string) => new SignetError('invalid_grant', detail);
  const proof = await consumeVerificationToken(deps, cmd.verificationToken, { tenantId: tenant.id, usage: 'reset_password' });
  if (!proof) throw badToken('verification_token_unknown');
  if (proof.channel !== to.channel || proof.destination !== to.destination) throw badToken('destination_mismatch');
  const field = to.channel === 'sms' ? 'phone' : 'email';
  const user = await deps.storage.users.findByLogin(tenant.id, proof.userType, field, to.destination);
  if (!user) {
    // Hidden: exactly the answer of a bad token (same reason, same text).
    if (tenant.policy.hideUnknownUsers) throw badToken('user_unknown');
    throw new SignetError('not_found', 'user_unknown', { message: field === 'phone' ? 'not_found.phone' : 'not_found.email' });
  }
  checkUsable(user, deps.now());
  const changed = await setNewPassword(deps, {
    tenant,
    user,
    newPassword: cmd.newPassword,
    field: 'new_password',
    keepSessionId: '',
    event: 'password_reset',
    ip: cmd.ip,
    clientId: client.id,
    how: 'verification_code',
  });
  // Whoever proved the address may sign in at once, whatever the failures before.
  await clearLocks(deps, changed);
}

export interface UpdatePasswordWithoutSessionCommand {
  client: ClientCredentials;
  ip: string;
  username: string;
  /** RSA ciphertexts (CloudBase's encryptLong) under the key `thumbprint` names. */
  password: string;
  newPassword: string;
  thumbprint: string;
  userType: string;
  captchaToken: string;
}

/** What a password change by the old password requires of its client, as a password sign-in does. */
const PASSWORD_CLIENT = { clientGrant: 'password', signsInUsers: true, confidentialOnly: false };
const UPDATE_CAPTCHA_STATES = [...PASSWORD_CAPTCHA_STATES, 'POST:/v2/signin/password/update'];

/**
 * A password change by whoever knows the old one, no session needed: the old password is proved
 * exactly as a sign-in proves it (provePassword: rate limits, IP block, captcha when due, the
 * lockout, one hash whatever the account), so this route is no cheaper oracle than sign-in. A
 * right guess ends every session of the user.
 */
export async function updatePasswordWithoutSession(deps: Deps, cmd: UpdatePasswordWithoutSessionCommand): Promise<void> {
  const checks = beginChecks(deps, cmd.ip, cmd.client.clientId);
  return admitted(checks, async () => {
    const cc = await authenticateClient(deps.directory, cmd.client, true, checks);
    authorizeClient(cc, PASSWORD_CLIENT);
    if (!cmd.password) throw invalidArgument('password', 'password is required');
    if (!cmd.newPassword) throw invalidArgument('new_password', 'new_password is required');
    const userType = readUserType(cmd.userType);
    const id = readIdentifier({ username: cmd.username });
    const oldPassword = await decryptPasswordText(deps, cc.client, cmd.password, cmd.thumbprint, 'password');
    const newPassword = await decryptPasswordText(deps, cc.client, cmd.newPassword, cmd.thumbprint, 'new_password');
    enforcePasswordPolicy(cc.tenant.policy, newPassword, {}, 'new_password');
    const audit: AuditEventInput = { event: 'reauth', tenantId: cc.tenant.id, clientId: cc.client.id, ip: cmd.ip };
    const user = await reauthenticate(
      deps,
      cc.tenant,
      {
        idKey: identifierKey(userType, id),
        findUser: () => deps.storage.users.findByLogin(cc.tenant.id, userType, id.field, id.value),
        password: oldPassword,
        ip: cmd.ip,
        captcha: { token: cmd.captchaToken },
        captchaStates: UPDATE_CAPTCHA_STATES,
        // Whatever the tenant says: a wrong old password and an unknown name answer alike here.
        hideUnknownUser: true,
      },
      checks,
      audit,
    );
    await setNewPassword(deps, {
      tenant: cc.tenant,
      user,
      newPassword,
      field: 'new_password',
      keepSessionId: '',
      event: 'password_changed',
      ip: cmd.ip,
      clientId: cc.client.id,
      how: 'old_password',
    });
  });
}
