// Starting a session: one per user, client and device; the oldest go past the client's limit;
// and, where the tenant allows one login per channel, one per user, client and channel.
import { randomUUID } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { Client, Tenant, User } from '../model.js';
import { mintUserTokens, type IssuedTokens } from '../tokens/mint.js';
import { sha256Hex } from '../crypto/secrets.js';
import { markRevoked } from './revocation.js';
import { SignetError } from '../errors.js';
import { effectivePolicy, exclusiveChannel } from '../defence/policy.js';

export interface SessionStart {
  tenant: Tenant;
  client: Client;
  user: User;
  scope: string[];
  deviceId: string;
  channel: string;
  /**
   * For a password sign-in, the hash the password was proved against. A password change that
   * landed between that proof and this session (reset, change, admin) ends the sessions it
   * found; this one started after it, so it is ended here instead of surviving the change.
   */
  provedHash?: string | null;
  /** The session's id, when the caller had to know it first (an authorization code's replay marker). */
  sessionId?: string;
  /**
   * How the user authenticated (RFC 8176 amr values, see AMR), kept with the session for every
   * id_token it issues; [] for none (an anonymous user). A session started from another (an
   * authorization code, a device approval) copies that session's.
   */
  amr: string[];
  /** When the user authenticated, if before now (the session a code or device approval came from). */
  authTime?: Date;
  /** The authorization request's nonce, for the id_token. */
  nonce?: string;
  /** In place of the client's max_sessions (the hosted page's browser session, which is not the client's app). */
  maxSessions?: number;
}

export async function startSession(deps: Deps, s: SessionStart): Promise<IssuedTokens> {
  const now = deps.now();
  const sessionId = s.sessionId ?? randomUUID();
  const authTime = s.authTime ?? now;
  const tokens = await mintUserTokens(deps, {
    tenant: s.tenant,
    client: s.client,
    user: s.user,
    sessionId,
    scope: s.scope,
    authTime,
    amr: s.amr,
    nonce: s.nonce,
  });
  const expiresAt = new Date(now.getTime() + s.client.refreshTokenTtl * 1000);
  const revoked = await deps.storage.sessions.start(
    {
      id: sessionId,
      tenantId: s.tenant.id,
      userId: s.user.id,
      clientId: s.client.id,
      deviceId: s.deviceId,
      channel: s.channel,
      scope: tokens.scope,
      authTime,
      amr: s.amr,
      expiresAt,
    },
    { hash: sha256Hex(tokens.refreshToken), sessionId, expiresAt },
    s.maxSessions ?? s.client.maxSessions,
    // Decided here for every way of signing in (password, code, SMS), enforced in the storage
    // transaction that starts the session, so two sign-ins racing on one channel leave one.
    { exclusiveChannel: exclusiveChannel(effectivePolicy(s.tenant.policy), s.channel) },
  );
  if (revoked.length > 0) {
    await markRevoked(deps, revoked);
    deps.log.info({ userId: s.user.id, clientId: s.client.id, revoked: revoked.length }, 'sessions replaced');
  }
  if (s.provedHash !== undefined) await requireUnchangedPassword(deps, s.user.id, s.provedHash, sessionId);
  return tokens;
}

/**
 * Read after the session is stored: a change committed before this read is seen here, and one
 * committed after it revokes this session itself. Either way no session outlives the password
 * it was proved with.
 */
async function requireUnchangedPassword(deps: Deps, userId: string, provedHash: string | null, sessionId: string): Promise<void> {
  if ((await deps.storage.users.passwordHashOf(userId)) === provedHash) return;
  await deps.storage.sessions.revoke(sessionId, 'password_changed');
  await markRevoked(deps, [sessionId]);
  throw new SignetError('invalid_password', 'password_changed_meanwhile');
}
