// Refresh with rotation (OAuth 2.0 Security BCP 4.14.2): every use returns a new refresh token and
// kills the old one. A rotated token presented again is a replay (stolen token or a client bug)
// and ends the whole session — except within a short grace window, where concurrent refreshes
// of one token (two tabs, a retried request) get the very same new pair instead of a logout.
import type { Grant, TokenGrantRequest } from './types.js';
import type { Deps } from '../deps.js';
import { SignetError, invalidArgument } from '../errors.js';
import { authenticateClient, requireGrant, type ClientContext } from '../clients.js';
import { deriveKey, seal, sha256Hex, unseal } from '../crypto/secrets.js';
import { mintUserTokens, type IssuedTokens } from '../tokens.js';
import { checkUsable } from '../signin.js';
import { revokeSession } from '../revocation.js';
import type { RefreshToken, Session, User } from '../model.js';

const SUCCESSOR = 'signet/refresh-successor';

export const refreshTokenGrant: Grant = async (deps, req) => {
  const cc = await authenticateClient(deps.directory, req.credentials, true);
  requireGrant(cc.client, 'refresh_token');
  const presented = req.refresh_token ?? '';
  if (!presented) throw invalidArgument('refresh_token', 'refresh_token is required');
  const hash = sha256Hex(presented);
  const found = await deps.storage.sessions.findRefreshToken(hash);
  if (!found || found.session.clientId !== cc.client.id) throw new SignetError('invalid_grant');
  if (found.token.rotatedAt) return reuse(deps, presented, found.token, found.session, found.user);
  checkLive(deps, found.session, found.token);
  return rotate(deps, cc, req, presented, found.session, found.user);
};

function checkLive(deps: Deps, session: Session, token: RefreshToken): void {
  const now = deps.now().getTime();
  if (session.revokedAt || session.expiresAt.getTime() <= now || token.expiresAt.getTime() <= now) {
    throw new SignetError('invalid_grant');
  }
}

async function rotate(
  deps: Deps, cc: ClientContext, req: TokenGrantRequest, presented: string, session: Session, user: User,
): Promise<IssuedTokens> {
  checkUsable(user, deps.now());
  const tokens = await mintUserTokens(deps, {
    tenant: cc.tenant,
    client: cc.client,
    user,
    sessionId: session.id,
    scope: session.scope.split(' ').filter(Boolean),
    authTime: session.createdAt,
  });
  const successor = seal(deriveKey(presented, SUCCESSOR), JSON.stringify(tokens), SUCCESSOR);
  const won = await deps.storage.sessions.rotate(sha256Hex(presented), successor, {
    hash: sha256Hex(tokens.refreshToken),
    sessionId: session.id,
    expiresAt: session.expiresAt,
  });
  if (won) return tokens;
  // Another request rotated the same token between our read and our write.
  const again = await deps.storage.sessions.findRefreshToken(sha256Hex(presented));
  if (!again?.token.rotatedAt) throw new SignetError('invalid_grant');
  return reuse(deps, presented, again.token, again.session, again.user);
}

async function reuse(deps: Deps, presented: string, token: RefreshToken, session: Session, user: User): Promise<IssuedTokens> {
  const now = deps.now().getTime();
  const age = now - token.rotatedAt!.getTime();
  if (!session.revokedAt && token.successor && age <= deps.settings.refreshGraceSeconds * 1000) {
    // The pair was minted a moment ago, but the session or the account may have ended since.
    if (session.expiresAt.getTime() <= now) throw new SignetError('invalid_grant');
    checkUsable(user, deps.now());
    return JSON.parse(unseal(deriveKey(presented, SUCCESSOR), token.successor, SUCCESSOR)) as IssuedTokens;
  }
  if (!session.revokedAt) {
    await revokeSession(deps, session.id, 'refresh_token_replay');
    deps.log.warn({ sessionId: session.id, userId: session.userId }, 'rotated refresh token replayed; session revoked');
  }
  throw new SignetError('invalid_grant');
}
