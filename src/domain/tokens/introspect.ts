// Token introspection (RFC 7662): a resource server asks whether a token is active and what it
// carries. Read `introspect` top to bottom: it is the whole request path.
//
// Who may ask: any enabled confidential client, proving its secret, about the tokens of its own
// tenant (no grant or scope of its own is needed: a resource server is a confidential client of
// the tenant). Public clients are refused as at the token endpoint; a token of another tenant is
// simply inactive, as is every token when the asking client's tenant is disabled.
//
// It is a hot path: an access token costs a signature check (once per token: see verified), one
// Redis GET (the session's revocation mark) and the cached client; nothing reaches the database. Refresh tokens are opaque
// and are looked up (after the request's rate limits have passed).
import type { JWTPayload } from 'jose';
import { SignetError, isSignetError, rethrowUnavailable } from '../errors.js';
import type { Deps } from '../deps.js';
import type { IntrospectCommand } from '../commands.js';
import type { RefreshToken, Session, User } from '../model.js';
import { authenticateClient, type ClientContext } from '../accounts/clients.js';
import { admitted, beginChecks, type Admission } from '../defence/request-checks.js';
import { sha256Hex } from '../crypto/secrets.js';
import { isRevoked } from '../sessions/revocation.js';
import { checkUsable } from '../signin/rules.js';
import { ACCESS_TOKEN_TYP, type ActClaim } from './mint.js';
import { successorPair } from './grants/refresh-token.js';

/** RFC 7662 2.2. Only `active` when inactive: nothing about a dead or foreign token is told. */
export interface Introspection {
  active: boolean;
  scope?: string;
  clientId?: string;
  username?: string;
  tokenType?: 'Bearer' | 'refresh_token';
  exp?: number;
  iat?: number;
  sub?: string;
  aud?: string;
  iss?: string;
  jti?: string;
  sid?: string;
  /** RFC 8693 4.1: the actor chain of an exchanged token. */
  act?: ActClaim;
}

const INACTIVE: Introspection = Object.freeze({ active: false });

export function introspect(deps: Deps, cmd: IntrospectCommand): Promise<Introspection> {
  const checks = beginChecks(deps, cmd.ip, cmd.client.clientId);
  return admitted(checks, async () => {
    const tenantId = await askingTenant(deps, cmd, checks);
    if (tenantId === null || !cmd.token) return checks.limits().then(() => INACTIVE);
    // The request's limits are counted while an access token is checked (no database on that
    // path); a refresh token waits for them before its lookup.
    const [, answer] = await Promise.all([
      checks.limits(),
      isJwt(cmd.token) ? accessToken(deps, tenantId, cmd.token, checks) : refreshToken(deps, tenantId, cmd.token, checks),
    ]);
    return answer;
  });
}

/**
 * The tenant whose tokens the client may introspect; null when that tenant is disabled (all its
 * tokens are inactive). Client authentication fails as at the token endpoint, and is audited.
 */
async function askingTenant(deps: Deps, cmd: IntrospectCommand, checks: Admission): Promise<string | null> {
  let cc: ClientContext;
  try {
    cc = await authenticateClient(deps.directory, cmd.client, true, checks);
    if (cc.client.type !== 'confidential') throw new SignetError('unauthorized_client', 'client_not_confidential');
  } catch (err) {
    // The secret was proven before the tenant was read: its tenant's tokens are all dead.
    if (isSignetError(err) && err.reason === 'tenant_disabled') return null;
    if (isSignetError(err) && err.reason !== 'resource_exhausted') {
      deps.audit.record({ event: 'introspect_failed', clientId: cmd.client.clientId, ip: cmd.ip, reason: err.reason, detail: err.detail });
    }
    throw err;
  }
  return cc.tenant.id;
}

/** Access tokens are JWTs (three dot-separated parts); refresh tokens are base64url, without dots. */
const isJwt = (token: string) => token.includes('.');

async function accessToken(deps: Deps, tenantId: string, token: string, checks: Admission): Promise<Introspection> {
  const claims = await verified(deps, token);
  if (!claims) return INACTIVE;
  const { sub, sid, client_id: clientId } = claims;
  if (typeof sub !== 'string' || typeof clientId !== 'string') return INACTIVE;
  // A revoked session (sign-out, revocation, a user disabled or deleted) stops its tokens at once.
  const [revoked, client] = await Promise.all([
    typeof sid === 'string' ? isRevoked(deps, sid) : false,
    deps.directory.client(clientId, checks.limits),
  ]);
  if (revoked || client?.status !== 'enabled' || client.tenantId !== tenantId) return INACTIVE;
  return {
    active: true,
    scope: typeof claims.scope === 'string' ? claims.scope : '',
    clientId,
    tokenType: 'Bearer',
    exp: claims.exp,
    iat: claims.iat,
    sub,
    aud: typeof claims.aud === 'string' ? claims.aud : claims.aud?.[0],
    iss: claims.iss,
    jti: claims.jti,
    sid: typeof sid === 'string' ? sid : undefined,
    act: actChain(claims.act),
  };
}

/**
 * A resource server asks about the same token on every request it serves: the signature check
 * (most of this path's CPU) is done once per token and remembered until the token expires. What
 * can change while a token lives (its session, its client) is checked on every call. Only valid
 * tokens are remembered, in a bounded map per instance (the oldest goes first).
 */
const VERIFIED_MAX = 4096;
const verifiedCache = new WeakMap<Deps, Map<string, JWTPayload>>();

async function verified(deps: Deps, token: string): Promise<JWTPayload | null> {
  let cache = verifiedCache.get(deps);
  if (!cache) {
    cache = new Map();
    verifiedCache.set(deps, cache);
  }
  const now = deps.clock.now();
  const hit = cache.get(token);
  if (hit) {
    if ((hit.exp ?? 0) * 1000 > now) return hit;
    cache.delete(token);
    return null;
  }
  let claims: JWTPayload;
  try {
    // Signature, issuer, typ and expiry (against the domain's clock).
    claims = await deps.keys.verify(token, deps.settings.issuer, ACCESS_TOKEN_TYP);
  } catch (err) {
    rethrowUnavailable(err);
    return null;
  }
  // A token without exp is never remembered (Signet's always have one).
  if (typeof claims.exp === 'number' && (claims.nbf === undefined || claims.nbf * 1000 <= now)) {
    if (cache.size >= VERIFIED_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(token, claims);
  }
  return claims;
}

async function refreshToken(deps: Deps, tenantId: string, token: string, checks: Admission): Promise<Introspection> {
  await checks.limits();
  const found = await deps.storage.sessions.findRefreshToken(sha256Hex(token));
  if (!found || found.session.tenantId !== tenantId) return INACTIVE;
  const { session, user } = found;
  const [usable, client] = await Promise.all([isUsable(deps, token, found), deps.directory.client(session.clientId)]);
  if (!usable || client?.status !== 'enabled') return INACTIVE;
  return {
    active: true,
    scope: session.scope,
    clientId: session.clientId,
    ...(user.username ? { username: user.username } : {}),
    tokenType: 'refresh_token',
    exp: seconds(found.token.expiresAt),
    iat: seconds(found.token.createdAt),
    sub: user.id,
    aud: session.clientId,
    iss: deps.settings.issuer,
    sid: session.id,
  };
}

/**
 * Whether the refresh grant would accept the token now (refresh-token.ts), without its side
 * effects: a live token of a live session and a usable user; or the immediate predecessor of the
 * live token within the grace window (it is answered with the pair already issued).
 */
async function isUsable(deps: Deps, presented: string, f: { token: RefreshToken; session: Session; user: User }): Promise<boolean> {
  const now = deps.clock.now();
  if (f.session.revokedAt || f.session.expiresAt.getTime() <= now) return false;
  try {
    checkUsable(f.user, deps.now());
  } catch {
    return false;
  }
  const { rotatedAt, successor } = f.token;
  if (!rotatedAt) return f.token.expiresAt.getTime() > now;
  if (successor === null || now - rotatedAt.getTime() > deps.settings.refreshGraceSeconds * 1000) return false;
  try {
    const next = await deps.storage.sessions.findRefreshToken(sha256Hex(successorPair(presented, successor).refreshToken));
    return !!next && !next.token.rotatedAt;
  } catch (err) {
    rethrowUnavailable(err);
    return false;
  }
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** The `act` claim as Signet signed it (sub, nested act), rebuilt so nothing else rides along. */
function actChain(v: unknown, depth = 0): ActClaim | undefined {
  if (typeof v !== 'object' || v === null || depth > 16) return undefined;
  const { sub, act } = v as { sub?: unknown; act?: unknown };
  if (typeof sub !== 'string') return undefined;
  const inner = actChain(act, depth + 1);
  return inner ? { sub, act: inner } : { sub };
}
