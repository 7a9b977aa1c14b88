// The hosted login page's sign-in, kept by the browser for single sign-on across the clients of
// a tenant. It is a real session (sessions table): every way sessions end — sign-out, a password
// reset, "sign out everywhere", an admin revoking or blocking — ends it too, with no second list
// to keep in step. The cookie is a JWT naming that session, signed with the token keys; it is
// worth nothing once the session is gone, and is checked against it at every use.
import { randomUUID } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { Client, Tenant, User } from '../model.js';
import { startSession } from '../sessions/start.js';
import { isRevoked, revokeSession } from '../sessions/revocation.js';
import { checkUsable } from '../signin/rules.js';

export const SSO_TYP = 'signet-sso+jwt';
const BROWSER_SESSIONS_UNLIMITED = 1_000_000;

/** A signed-in browser. */
export interface BrowserSession {
  sessionId: string;
  user: User;
  /** When the user authenticated, epoch ms (the id_token's auth_time). */
  authTime: number;
  /** How (RFC 8176): pwd, sms, otp. */
  amr: string[];
}

export interface StartedBrowserSession {
  session: BrowserSession;
  /** The cookie's value and life. */
  cookie: string;
  maxAgeSeconds: number;
}

export interface BrowserSignIn {
  tenant: Tenant;
  client: Client;
  user: User;
  amr: string[];
  /** For a password sign-in, the hash it was proved against (see startSession). */
  provedHash?: string | null;
}

export async function startBrowserSession(deps: Deps, s: BrowserSignIn): Promise<StartedBrowserSession> {
  const authTime = deps.now();
  const sessionId = randomUUID();
  // Its tokens are thrown away: nothing but the cookie can ever use this session.
  await startSession(deps, {
    tenant: s.tenant,
    client: s.client,
    user: s.user,
    scope: [],
    // One per sign-in: never the device of another session of the client, which would replace it.
    deviceId: `browser:${sessionId}`,
    // No channel: a tenant's one-login-per-channel rule is about apps and web clients, not this.
    channel: '',
    // Not one of the client's app sessions: signing in here never pushes one of those out.
    maxSessions: BROWSER_SESSIONS_UNLIMITED,
    sessionId,
    authTime,
    amr: s.amr,
    provedHash: s.provedHash,
  });
  const maxAgeSeconds = Math.min(deps.settings.ssoTtlSeconds, s.client.refreshTokenTtl);
  const cookie = await deps.keys.sign(
    { iss: deps.settings.issuer, sub: s.user.id, sid: sessionId, tid: s.tenant.id },
    maxAgeSeconds,
    SSO_TYP,
  );
  return { session: { sessionId, user: s.user, authTime: authTime.getTime(), amr: s.amr }, cookie, maxAgeSeconds };
}

/**
 * The browser's session in the tenant, or null: no cookie, a forged or expired one, one of
 * another tenant, an ended session, a user who can no longer sign in.
 */
export async function readBrowserSession(deps: Deps, cookie: string, tenantId: string): Promise<BrowserSession | null> {
  const c = await claimsOf(deps, cookie, false);
  if (!c || c.tid !== tenantId) return null;
  if (await isRevoked(deps, c.sid)) return null;
  const session = await deps.storage.sessions.get(c.sid);
  if (!session || session.revokedAt || session.expiresAt <= deps.now() || session.userId !== c.sub) return null;
  const user = await deps.storage.users.get(c.sub);
  if (!user || user.tenantId !== tenantId) return null;
  try {
    checkUsable(user, deps.now());
  } catch {
    return null;
  }
  return { sessionId: c.sid, user, authTime: session.authTime.getTime(), amr: session.amr };
}

/**
 * Signs the browser out (an expired cookie too: the session may outlive it), when its sign-in is
 * `onlyUser`'s (any user's when not given). True when the browser is signed out afterwards: its
 * cookie was this user's, or worth nothing; false when it is another user's, which stays.
 */
export async function endBrowserSession(deps: Deps, cookie: string, ip: string, onlyUser?: string): Promise<boolean> {
  const c = await claimsOf(deps, cookie, true);
  if (!c) return true;
  if (onlyUser !== undefined && c.sub !== onlyUser) return false;
  if (await revokeSession(deps, c.sid, 'sign_out')) {
    deps.audit.record({ event: 'sign_out', tenantId: c.tid, userId: c.sub, ip, reason: 'hosted_page' });
  }
  return true;
}

interface SsoClaims {
  sid: string;
  sub: string;
  tid: string;
}

async function claimsOf(deps: Deps, cookie: string, evenExpired: boolean): Promise<SsoClaims | null> {
  if (!cookie) return null;
  let p: Record<string, unknown>;
  try {
    p = evenExpired
      ? await deps.keys.verifyIssued(cookie, deps.settings.issuer, SSO_TYP)
      : await deps.keys.verify(cookie, deps.settings.issuer, SSO_TYP);
  } catch {
    return null;
  }
  const { sid, sub, tid } = p;
  if (typeof sid !== 'string' || typeof sub !== 'string' || typeof tid !== 'string') return null;
  return { sid, sub, tid };
}
