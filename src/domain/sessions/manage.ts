// A user's sessions, as the user sees and ends them (AccountService) and as an operator does
// (AdminService). Every ending goes through markRevoked, so the access tokens of an ended session
// are refused at once, not when they expire.
import type { Deps } from '../deps.js';
import type { Session } from '../model.js';
import { SignetError, invalidArgument } from '../errors.js';
import { signedInSession } from './bearer.js';
import { markRevoked, revokeSession } from './revocation.js';

/** Who asked, for the audit trail. */
export interface Requester {
  ip: string;
  deviceId: string;
}

export interface DeviceSummary {
  deviceId: string;
  /** When the newest live session on the device began. */
  lastSignInAt: Date;
  sessions: number;
}

export interface MySessions {
  sessions: Session[];
  /** The session of the access token that asked. */
  current: string;
  devices: DeviceSummary[];
}

/** The signed-in user's live sessions, newest first, and the devices they are on. */
export async function listMySessions(deps: Deps, accessToken: string, ip: string): Promise<MySessions> {
  const { user, claims } = await signedInSession(deps, accessToken, ip);
  const sessions = await deps.storage.sessions.listLive(user.id, deps.now());
  return { sessions, current: claims.sid, devices: devicesOf(sessions) };
}

/** Sessions grouped by device (those without a device id are not a device), newest device first. */
export function devicesOf(sessions: Session[]): DeviceSummary[] {
  const byDevice = new Map<string, DeviceSummary>();
  for (const s of sessions) {
    if (!s.deviceId) continue;
    const d = byDevice.get(s.deviceId);
    if (!d) byDevice.set(s.deviceId, { deviceId: s.deviceId, lastSignInAt: s.createdAt, sessions: 1 });
    else {
      d.sessions++;
      if (s.createdAt > d.lastSignInAt) d.lastSignInAt = s.createdAt;
    }
  }
  return [...byDevice.values()].sort((a, b) => b.lastSignInAt.getTime() - a.lastSignInAt.getTime());
}

/** Ends every session of the signed-in user, the one that asks included; returns how many. */
export async function revokeAllMySessions(deps: Deps, accessToken: string, by: Requester): Promise<number> {
  const { user, claims } = await signedInSession(deps, accessToken, by.ip);
  const ended = await deps.storage.sessions.revokeAllForUser(user.id, 'revoked_all');
  // The asking session too, even if storage no longer listed it as live.
  await markRevoked(deps, [...new Set([...ended, claims.sid])]);
  deps.audit.record({
    event: 'sessions_revoked',
    tenantId: user.tenantId,
    userId: user.id,
    clientId: claims.client_id,
    deviceId: by.deviceId,
    ip: by.ip,
    reason: 'all',
  });
  return ended.length;
}

/** Ends the signed-in user's sessions on one device (never another user's); returns how many. */
export async function revokeMyDevice(deps: Deps, accessToken: string, deviceId: string, by: Requester): Promise<number> {
  const { user, claims } = await signedInSession(deps, accessToken, by.ip);
  if (!deviceId) throw invalidArgument('device_id', 'the device to sign out is required');
  const ended = await deps.storage.sessions.revokeDevice(user.id, deviceId, 'revoked_device');
  await markRevoked(deps, ended);
  deps.audit.record({
    event: 'sessions_revoked',
    tenantId: user.tenantId,
    userId: user.id,
    clientId: claims.client_id,
    deviceId,
    ip: by.ip,
    reason: 'device',
  });
  return ended.length;
}

// ---- the operator's view

async function mustUser(deps: Deps, userId: string) {
  const user = userId ? await deps.storage.users.get(userId) : null;
  if (!user) throw new SignetError('not_found', 'user_unknown', { metadata: { resource: 'user' } });
  return user;
}

export async function listUserSessions(deps: Deps, userId: string): Promise<Session[]> {
  const user = await mustUser(deps, userId);
  return deps.storage.sessions.listLive(user.id, deps.now());
}

/** Ends one session; false when it was already ended or is unknown. */
export async function adminRevokeSession(deps: Deps, sessionId: string): Promise<boolean> {
  if (!sessionId) throw invalidArgument('session_id', 'the session to end is required');
  const session = await deps.storage.sessions.get(sessionId);
  if (!session) return false;
  const live = await revokeSession(deps, session.id, 'revoked_admin');
  if (live) {
    deps.audit.record({
      event: 'sessions_revoked',
      tenantId: session.tenantId,
      userId: session.userId,
      clientId: session.clientId,
      deviceId: session.deviceId,
      reason: 'admin',
    });
  }
  return live;
}

/** Ends every session of a user; returns how many were live. */
export async function adminRevokeUserSessions(deps: Deps, userId: string): Promise<number> {
  const user = await mustUser(deps, userId);
  const ended = await deps.storage.sessions.revokeAllForUser(user.id, 'revoked_admin');
  await markRevoked(deps, ended);
  deps.audit.record({ event: 'sessions_revoked', tenantId: user.tenantId, userId: user.id, reason: 'admin' });
  return ended.length;
}
