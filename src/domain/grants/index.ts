import type { Grant } from './types.js';
import { SignetError, isSignetError } from '../errors.js';
import type { Deps } from '../deps.js';
import type { IssuedTokens } from '../tokens.js';
import type { TokenGrantRequest } from './types.js';
import { passwordGrant } from './password.js';
import { refreshTokenGrant } from './refresh_token.js';
import { clientCredentialsGrant } from './client_credentials.js';
import { smsGrant } from './sms.js';

export type { TokenGrantRequest, Grant } from './types.js';

/** One module per grant type; adding a grant is adding an entry here. */
export const GRANTS: Record<string, Grant> = {
  password: passwordGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  sms: smsGrant,
  // HZERO's name for the SMS grant (see grants/sms.ts).
  implicit: smsGrant,
};

export function grantFor(grantType: string): Grant {
  const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
  if (!grant) throw new SignetError('unsupported_grant_type', { metadata: { grant_type: grantType } });
  return grant;
}

/**
 * The token endpoint: runs the grant and writes the audit trail. Password grants are audited by
 * the sign-in steps themselves, which know more (the user, the lock).
 */
export async function issueToken(deps: Deps, req: TokenGrantRequest): Promise<IssuedTokens> {
  const base = { tenantId: undefined, clientId: req.credentials.clientId, deviceId: req.deviceId, ip: req.ip };
  const audited = req.grant_type !== 'password';
  // The password grant counts the request with its lockout reservation (one Redis write); the
  // others first, and a refusal by the limits is not audited (a flood must not fill the table).
  if (req.grant_type !== 'password') await req.admission.limits();
  try {
    const tokens = await grantFor(req.grant_type)(deps, req);
    if (audited) deps.audit.record({ ...base, event: 'token', userId: tokens.sub, reason: req.grant_type });
    return tokens;
  } catch (err) {
    if (audited && isSignetError(err)) deps.audit.record({ ...base, event: 'token_failed', reason: err.reason });
    throw err;
  }
}
