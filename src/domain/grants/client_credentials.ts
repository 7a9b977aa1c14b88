import type { Grant } from './types.js';
import { SignetError } from '../errors.js';
import { authenticateClient, grantScope, requireGrant } from '../clients.js';
import { mintClientToken } from '../tokens.js';

/** Client credentials (RFC 6749 4.4): confidential clients only; no refresh or id token. */
export const clientCredentialsGrant: Grant = async (deps, req) => {
  const cc = await authenticateClient(deps.directory, req.credentials, true);
  if (cc.client.type !== 'confidential') throw new SignetError('unauthorized_client', { metadata: { grant_type: 'client_credentials' } });
  requireGrant(cc.client, 'client_credentials');
  return mintClientToken(deps, cc.tenant, cc.client, grantScope(cc.client, req.scope ?? ''));
};
