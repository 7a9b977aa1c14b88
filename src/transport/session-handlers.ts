// The signed-in user's sessions and security history (AccountService), and the operator's view of
// a user's sessions (AdminService): convert, call the domain (domain/sessions/), convert back.
import type { Deps } from '../domain/deps.js';
import type { Session } from '../domain/model.js';
import type { HandlersOf } from './context.js';
import type { AccountServiceDefinition } from '../gen/signet/auth/v1/account_service.js';
import type { AdminServiceDefinition } from '../gen/signet/auth/v1/admin_service.js';
import type { SecurityEvent, SessionInfo } from '../gen/signet/auth/v1/account.js';
import {
  adminRevokeSession,
  adminRevokeUserSessions,
  listMySessions,
  listUserSessions,
  revokeAllMySessions,
  revokeMyDevice,
} from '../domain/sessions/manage.js';
import { securityHistory, type HistoryEntry } from '../domain/sessions/history.js';
import { bearerOf } from './credentials.js';
import { deviceOf } from './auth-in.js';

type SessionRpcs = 'RevokeAllSessions' | 'RevokeDevice' | 'ListMySessions' | 'GetSecurityHistory';

export const sessionOut = (s: Session, current = ''): SessionInfo => ({
  session_id: s.id,
  client_id: s.clientId,
  device_id: s.deviceId,
  channel: s.channel,
  created_at: s.createdAt,
  expires_at: s.expiresAt,
  current: s.id === current,
  user_id: s.userId,
});

const eventOut = (e: HistoryEntry): SecurityEvent => ({
  id: e.id,
  ip: e.ip,
  user_agent: '',
  client_id: e.clientId,
  device_id: e.deviceId,
  created_at: e.createdAt,
  meta: { from: e.from },
  action: e.action,
});

export function sessionHandlers(deps: Deps): Pick<HandlersOf<typeof AccountServiceDefinition>, SessionRpcs> {
  return {
    async RevokeAllSessions(_req, ctx) {
      await revokeAllMySessions(deps, bearerOf(ctx.metadata.authorization), { ip: ctx.clientIp, deviceId: deviceOf('', ctx) });
      return {};
    },

    async RevokeDevice(req, ctx) {
      await revokeMyDevice(deps, bearerOf(ctx.metadata.authorization), req.device_id, { ip: ctx.clientIp, deviceId: deviceOf('', ctx) });
      return {};
    },

    async ListMySessions(_req, ctx) {
      const mine = await listMySessions(deps, bearerOf(ctx.metadata.authorization), ctx.clientIp);
      return {
        sessions: mine.sessions.map((s) => sessionOut(s, mine.current)),
        devices: mine.devices.map((d) => ({ device_id: d.deviceId, last_sign_in_at: d.lastSignInAt, sessions: d.sessions })),
      };
    },

    async GetSecurityHistory(req, ctx) {
      const page = await securityHistory(deps, bearerOf(ctx.metadata.authorization), {
        query: req.query,
        neQuery: req.ne_query,
        limit: req.limit,
        pageToken: req.page_token,
        ip: ctx.clientIp,
      });
      return { data: page.entries.map(eventOut), next_page_token: page.nextPageToken };
    },
  };
}

export function adminSessionHandlers(
  deps: Deps,
): Pick<HandlersOf<typeof AdminServiceDefinition>, 'ListSessions' | 'RevokeSession' | 'RevokeUserSessions'> {
  return {
    async ListSessions(req) {
      return { sessions: (await listUserSessions(deps, req.user_id)).map((s) => sessionOut(s)) };
    },
    async RevokeSession(req) {
      return { revoked: await adminRevokeSession(deps, req.session_id) };
    },
    async RevokeUserSessions(req) {
      return { revoked: await adminRevokeUserSessions(deps, req.user_id) };
    },
  };
}
