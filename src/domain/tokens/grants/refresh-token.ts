// Refresh with rotation (OAuth 2.0 Security BCP 4.14.2): every use returns a new refresh token and
// kills the old one. A rotated token presented again is a replay (stolen token or a client bug)
// and ends the whole session — except that the immediate predecessor of the live token, within
// a short grace window, gets the very same new pair, so concurrent refreshes of one token (two
// tabs, a retried request) do not log the user out. A token whose successor has itself been
// rotated is two generations old: a replay, window or not.
import type { Grant } from './grant.js';
import type { Deps } from '../../deps.js';
import { SignetError, invalidArgument } from '../../errors.js';
import type { ClientContext } from '../../accounts/clients.js';
import { deriveKey, seal, sha256Hex, unseal } from '../../crypto/secrets.js';
import { mintUserTokens, type IssuedTokens } from '../mint.js';
import { checkUsable } from '../../signin/rules.js';
import { revokeSession } from '../../sessions/revocation.js';
import type { RefreshToken, Session, User } from '../../model.js';

const SUCCESSOR = 'signet/refresh-successor';

export const refreshTokenGrant: Grant = {
  clientGrant: 'refresh_token',
  signsInUsers: false,
  confidentialOnly: false,
  passwordSignIn: false,
  async run(deps, cc, cmd) {
    const presented = cmd.refreshToken;
    if (!presented) throw invalidArgument('refresh_token', 'refresh_token is required');
    const found = await deps.storage.sessions.findRefreshToken(sha256Hex(presented));
    if (!found) throw new SignetError('invalid_grant', 'refresh_token_unknown');
    if (found.session.clientId !== cc.client.id) throw new SignetError('invalid_grant', 'client_mismatch');
    if (found.token.rotatedAt) return reuse(deps, presented, found.token, found.session, found.user);
    checkLive(deps, found.session, found.token);
    return rotate(deps, cc, presented, found.session, found.user);
  },
};

function checkLive(deps: Deps, session: Session, token: RefreshToken): void {
  const now = deps.clock.now();
  if (session.revokedAt) throw new SignetError('invalid_grant', 'session_revoked');
  if (session.expiresAt.getTime() <= now) throw new SignetError('invalid_grant', 'session_expired');
  if (token.expiresAt.getTime() <= now) throw new SignetError('invalid_grant', 'refresh_token_expired');
}

async function rotate(deps: Deps, cc: ClientContext, presented: string, session: Session, user: User): Promise<IssuedTokens> {
  checkUsable(user, deps.now());
  const tokens = await mintUserTokens(deps, {
    tenant: cc.tenant,
    client: cc.client,
    user,
    sessionId: session.id,
    scope: session.scope.split(' ').filter(Boolean),
    // How and when the user authenticated, as the session began: a refresh is no new authentication.
    authTime: session.authTime,
    amr: session.amr,
  });
  const successor = seal(deriveKey(presented, SUCCESSOR), JSON.stringify(tokens), SUCCESSOR);
  // The rotation time is the domain's: the grace window (reuse) is measured against the same clock.
  const won = await deps.storage.sessions.rotate(
    sha256Hex(presented),
    successor,
    { hash: sha256Hex(tokens.refreshToken), sessionId: session.id, expiresAt: session.expiresAt },
    deps.now(),
  );
  if (won) return tokens;
  // Another request rotated the same token between our read and our write.
  const again = await deps.storage.sessions.findRefreshToken(sha256Hex(presented));
  if (!again?.token.rotatedAt) throw new SignetError('invalid_grant', 'rotation_lost');
  return reuse(deps, presented, again.token, again.session, again.user);
}

/** A rotated token presented again: its successor pair within the window, else a replay. */
async function reuse(deps: Deps, presented: string, token: RefreshToken, session: Session, user: User): Promise<IssuedTokens> {
  const now = deps.clock.now();
  if (session.revokedAt) throw new SignetError('invalid_grant', 'session_revoked');
  const inWindow = token.successor !== null && now - token.rotatedAt!.getTime() <= deps.settings.refreshGraceSeconds * 1000;
  if (!inWindow) return replayed(deps, session, 'replay');
  const pair = successorPair(presented, token.successor!);
  // Only the live token's immediate predecessor shares its pair: once the successor was itself
  // rotated, whoever presents this one is not the client that holds the live token.
  const next = await deps.storage.sessions.findRefreshToken(sha256Hex(pair.refreshToken));
  if (!next || next.token.rotatedAt) return replayed(deps, session, 'replay_superseded');
  // The pair was minted a moment ago, but the session or the account may have ended since.
  if (session.expiresAt.getTime() <= now) throw new SignetError('invalid_grant', 'session_expired');
  checkUsable(user, deps.now());
  return pair;
}

/** The pair a rotated token was answered with (readable only with the rotated token itself). */
export function successorPair(presented: string, successor: string): IssuedTokens {
  return JSON.parse(unseal(deriveKey(presented, SUCCESSOR), successor, SUCCESSOR)) as IssuedTokens;
}

async function replayed(deps: Deps, session: Session, detail: string): Promise<never> {
  await revokeSession(deps, session.id, 'refresh_token_replay');
  deps.log.warn({ sessionId: session.id, userId: session.userId, detail }, 'rotated refresh token replayed; session revoked');
  throw new SignetError('invalid_grant', detail);
}
