import type { Grant } from './types.js';
import { authenticateClient, requireGrant } from '../clients.js';
import { signInWithPassword } from '../signin.js';

/** Resource owner password credentials (RFC 6749 4.3), with the same rules as SignIn. */
export const passwordGrant: Grant = async (deps, req) => {
  const cc = await authenticateClient(deps.directory, req.credentials, true);
  requireGrant(cc.client, 'password');
  return signInWithPassword(deps, cc, {
    username: req.username,
    login_field: req.login_field,
    password: req.password ?? '',
    user_type: req.user_type,
    scope: req.scope,
    deviceId: req.deviceId,
    source_type: req.source_type,
  });
};
