import type { Grant } from './grant.js';
import { grantScope } from '../../accounts/clients.js';
import { mintClientToken } from '../mint.js';

/** Client credentials (RFC 6749 4.4): confidential clients only; no refresh or id token. */
export const clientCredentialsGrant: Grant = {
  clientGrant: 'client_credentials',
  signsInUsers: false,
  confidentialOnly: true,
  passwordSignIn: false,
  run: (deps, cc, cmd) => mintClientToken(deps, cc.tenant, cc.client, grantScope(cc.client, cmd.scope)),
};
