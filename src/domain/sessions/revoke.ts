// Token revocation (RFC 7009) and sign-out. Revoking either token of a session ends the session.
import type { Deps } from '../deps.js';
import { ACCESS_TOKEN_TYP } from '../tokens/mint.js';
import { sha256Hex } from '../crypto/secrets.js';
import { revokeSession } from './revocation.js';
import { authenticateBearer, requireOwnToken } from './bearer.js';
import type { ClientCredentials } from '../commands.js';
import { authenticateClient } from '../accounts/clients.js';
import { rethrowUnavailable } from '../errors.js';

/**
 * RFC 7009 2.2: the answer is the same whether or not the token was valid, so revocation cannot
 * be used to probe tokens. A client that authenticates may only revoke its own tokens; the
 * CloudBase SDK sends no client at all (the token itself proves possession).
 */
export async function revokeToken(deps: Deps, token: string, hint: string, creds: ClientCredentials, ip: string): Promise<void> {
  const client = creds.clientId ? (await authenticateClient(deps.directory, creds, false)).client : null;
  const tryRefresh = async () => {
    const found = await deps.storage.sessions.findRefreshToken(sha256Hex(token));
    if (!found || (client && found.session.clientId !== client.id)) return false;
    await revokeSession(deps, found.session.id, 'revoked');
    deps.audit.record({
      event: 'revoke',
      tenantId: found.session.tenantId,
      userId: found.session.userId,
      clientId: found.session.clientId,
      ip,
      reason: 'refresh_token',
    });
    return true;
  };
  const tryAccess = async () => {
    try {
      const claims = await deps.keys.verify(token, deps.settings.issuer, ACCESS_TOKEN_TYP);
      if (typeof claims.sid !== 'string' || (client && claims.client_id !== client.id)) return false;
      await revokeSession(deps, claims.sid, 'revoked');
      deps.audit.record({ event: 'revoke', userId: claims.sub, clientId: String(claims.client_id), ip, reason: 'access_token' });
      return true;
    } catch (err) {
      // An outage is answered as such: the client must not believe the token revoked.
      rethrowUnavailable(err);
      return false;
    }
  };
  if (!token) return;
  const order = hint === 'refresh_token' ? [tryRefresh, tryAccess] : [tryAccess, tryRefresh];
  for (const attempt of order) if (await attempt()) return;
}

export async function signOut(deps: Deps, accessToken: string, ip: string): Promise<void> {
  const claims = await authenticateBearer(deps, accessToken);
  requireOwnToken(claims);
  if (claims.sid) await revokeSession(deps, claims.sid, 'signed_out');
  deps.audit.record({ event: 'sign_out', userId: claims.sub, clientId: claims.client_id, ip });
}
