// Getting back into an account without a session: ResetPassword (a code to the account's
// address) and UpdatePasswordWithoutSession (CloudBase v2: the old password, both RSA-encrypted).
// Each counts against the rate limits before any hash; neither tells which accounts exist to
// someone who has not proved the address or the password.
import { SignetError, invalidArgument } from '../errors.js';
import type { Deps } from '../deps.js';
import type { ClientCredentials } from '../commands.js';
import { authenticateClient } from './clients.js';
import { readIdentifier } from './identity.js';
import { enforcePasswordPolicy } from './password-policy.js';
import { consumeVerificationToken } from '../defence/codes.js';
import { readDestination } from '../defence/endpoints.js';
import { identifierKey } from '../defence/gate.js';
import { checkUsable, readUserType } from '../signin/rules.js';
import { decryptPasswordText } from '../signin/encrypted-password.js';
import { clearLocks, comparePassword, setNewPassword } from './reauth.js';

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
  const { tenant, client } = await authenticateClient(deps.directory, cmd.client, false);
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
}

/**
 * A password change by whoever knows the old one: the comparison goes through the sign-in
 * lockout (a wrong old password counts as a failed sign-in; an unknown user costs a dummy hash
 * and answers as a wrong password, whatever the tenant's hide_unknown_users).
 */
export async function updatePasswordWithoutSession(deps: Deps, cmd: UpdatePasswordWithoutSessionCommand): Promise<void> {
  await deps.limiter.checkRequest(cmd.ip, cmd.client.clientId);
  const { tenant, client } = await authenticateClient(deps.directory, cmd.client, false);
  if (!cmd.password) throw invalidArgument('password', 'password is required');
  if (!cmd.newPassword) throw invalidArgument('new_password', 'new_password is required');
  const userType = readUserType(cmd.userType);
  const id = readIdentifier({ username: cmd.username });
  const oldPassword = await decryptPasswordText(deps, client, cmd.password, cmd.thumbprint, 'password');
  const newPassword = await decryptPasswordText(deps, client, cmd.newPassword, cmd.thumbprint, 'new_password');
  enforcePasswordPolicy(tenant.policy, newPassword, {}, 'new_password');
  const found = await deps.storage.users.findByLogin(tenant.id, userType, id.field, id.value);
  const user = await comparePassword(deps, tenant, found, identifierKey(userType, id), oldPassword, cmd.ip);
  checkUsable(user, deps.now());
  await setNewPassword(deps, {
    tenant,
    user,
    newPassword,
    field: 'new_password',
    keepSessionId: '',
    event: 'password_changed',
    ip: cmd.ip,
    clientId: client.id,
    how: 'old_password',
  });
}
