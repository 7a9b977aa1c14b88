// The SMS grant: a phone number and the code sent to it, in one token request. HZERO's
// /oauth/token/mobile sends it as grant_type "implicit" (unrelated to OAuth's implicit flow);
// the transport maps that name, and either needs the client to list "sms".
import type { Grant } from './grant.js';
import { SignetError, invalidArgument } from '../../errors.js';
import { grantScope } from '../../accounts/clients.js';
import { normalizePhone } from '../../accounts/identity.js';
import { readChannel, readUserType } from '../../signin/rules.js';
import { checkCode } from '../../defence/codes.js';
import { SIGN_IN_USAGE, startVerifiedSession } from '../../signin/code.js';

export const smsGrant: Grant = {
  clientGrant: 'sms',
  signsInUsers: true,
  confidentialOnly: false,
  passwordSignIn: false,
  async run(deps, cc, cmd) {
    if (!cmd.phone) throw invalidArgument('phone', 'phone is required', 'invalid_argument.destination_missing');
    if (!cmd.code) throw invalidArgument('captcha', 'the code received by SMS is required', 'invalid_argument.sms_code_missing');
    if (!cmd.codeId) throw invalidArgument('captcha_key', 'the verification id of the code is required');
    const scope = grantScope(cc.client, cmd.scope);
    const userType = readUserType(cmd.userType);
    const channel = readChannel(cmd.sourceType, cmd.deviceId);
    const phone = normalizePhone(cmd.phone, 'phone');
    // A code sent to another number or in another tenant counts as a wrong code.
    const sent = await checkCode(deps, cmd.codeId, cmd.code, { tenantId: cc.tenant.id, destination: phone });
    // A code sent for another purpose (say a password reset) or another user namespace does not
    // sign in: the same rule as for verification tokens.
    if ((sent.usage !== '' && sent.usage !== SIGN_IN_USAGE) || sent.userType !== userType) {
      throw new SignetError('invalid_grant', 'code_usage', { metadata: { reason: 'code_usage' } });
    }
    return startVerifiedSession(deps, cc, { userType, field: 'phone', value: phone, scope, deviceId: cmd.deviceId, channel });
  },
};
