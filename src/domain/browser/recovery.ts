// "Forgot password" on the hosted login page: the account issue's reset (a code of usage
// RESET_PASSWORD proves the address; every session ends; the lockout is cleared), in one form:
// the code received and the new password together.
import type { Deps } from '../deps.js';
import type { ClientContext } from '../accounts/clients.js';
import { enforcePasswordPolicy } from '../accounts/password-policy.js';
import { resetPassword } from '../accounts/recovery.js';
import { verifyVerification } from '../defence/endpoints.js';
import { invalidArgument } from '../errors.js';
import { destinationOf } from './sign-in.js';

export interface PageReset {
  cc: ClientContext;
  /** The phone number or e-mail address the code was sent to, as typed. */
  to: string;
  verificationId: string;
  code: string;
  newPassword: string;
  ip: string;
}

export async function resetPasswordAtPage(deps: Deps, cmd: PageReset): Promise<void> {
  await deps.limiter.checkRequest(cmd.ip, cmd.cc.client.id);
  if (!cmd.newPassword) throw invalidArgument('new_password', 'new_password is required');
  // Before the code is spent: a weak password is told without costing the user their code.
  enforcePasswordPolicy(cmd.cc.tenant.policy, cmd.newPassword, {}, 'new_password');
  const to = destinationOf(cmd.to);
  const { verificationToken } = await verifyVerification(deps, { ip: cmd.ip, verificationId: cmd.verificationId, code: cmd.code.trim() });
  await resetPassword(deps, {
    client: { clientId: cmd.cc.client.id, clientSecret: '' },
    ip: cmd.ip,
    email: to.channel === 'email' ? to.destination : '',
    phoneNumber: to.channel === 'sms' ? to.destination : '',
    verificationToken,
    newPassword: cmd.newPassword,
  });
}
