// Access tokens are self-contained JWTs; a revoked session must still stop them at once. The
// session ids revoked are kept in the shared store for as long as any token of theirs can live.
import type { Deps } from '../deps.js';
import { MAX_TOKEN_TTL_SECONDS } from '../deps.js';

export async function markRevoked(deps: Deps, sessionIds: string[]): Promise<void> {
  await deps.stores.revocations.mark(sessionIds, MAX_TOKEN_TTL_SECONDS);
}

export function isRevoked(deps: Deps, sid: string): Promise<boolean> {
  return deps.stores.revocations.isRevoked(sid);
}

/** Revokes one session in storage and in the shared store; true when it was live. */
export async function revokeSession(deps: Deps, sid: string, reason: string): Promise<boolean> {
  const live = await deps.storage.sessions.revoke(sid, reason);
  await markRevoked(deps, [sid]);
  return live;
}
