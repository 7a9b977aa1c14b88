// The SMS grant: a phone number and the code sent to it, in one token request. Its HZERO name is
// "implicit" (HZERO's /oauth/token/mobile sends grant_type=implicit), unrelated to OAuth's
// implicit flow; either name needs the client to list "sms".
import type { Grant } from './types.js';
import { SignetError, invalidArgument } from '../errors.js';
import { authenticateClient, grantScope, requireGrant } from '../clients.js';
import { normalizePhone } from '../identity.js';
import { readChannel, readUserType, requireUserScope } from '../signin.js';
import { checkCode } from '../defence/codes.js';
import { SIGN_IN_USAGE, startVerifiedSession } from '../codesignin.js';

export const smsGrant: Grant = async (deps, req) => {
  const cc = await authenticateClient(deps.directory, req.credentials, true);
  requireGrant(cc.client, 'sms');
  requireUserScope(cc);
  if (!req.phone) throw invalidArgument('phone', 'phone is required', 'invalid_argument.destination_missing');
  if (!req.captcha) throw invalidArgument('captcha', 'the code received by SMS is required', 'invalid_argument.sms_code_missing');
  if (!req.captcha_key) throw invalidArgument('captcha_key', 'the verification id of the code is required');
  const scope = grantScope(cc.client, req.scope ?? '');
  const userType = readUserType(req.user_type);
  const channel = readChannel(req.source_type, req.deviceId);
  const phone = normalizePhone(req.phone, 'phone');
  // A code sent to another number or in another tenant counts as a wrong code.
  const sent = await checkCode(deps, req.captcha_key, req.captcha, { tenantId: cc.tenant.id, destination: phone });
  // A code sent for another purpose (say a password reset) or another user namespace does not
  // sign in: the same rule as for verification tokens.
  if ((sent.usage !== '' && sent.usage !== SIGN_IN_USAGE) || sent.userType !== userType) {
    throw new SignetError('invalid_grant', { metadata: { reason: 'code_usage' } });
  }
  return startVerifiedSession(deps, cc, { userType, field: 'phone', value: phone, scope, deviceId: req.deviceId, channel });
};
