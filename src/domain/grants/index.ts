import type { Grant } from './types.js';
import { SignetError } from '../errors.js';
import { passwordGrant } from './password.js';
import { refreshTokenGrant } from './refresh_token.js';
import { clientCredentialsGrant } from './client_credentials.js';

export type { TokenGrantRequest, Grant } from './types.js';

/** One module per grant type; adding a grant is adding an entry here. */
export const GRANTS: Record<string, Grant> = {
  password: passwordGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
};

export function grantFor(grantType: string): Grant {
  const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
  if (!grant) throw new SignetError('unsupported_grant_type', { metadata: { grant_type: grantType } });
  return grant;
}
