// The signed-in user's sessions and security history (AccountService), and the operator's view of
// a user's sessions (AdminService): convert, call the domain (domain/sessions/), convert back.
import type { Deps } from '../domain/deps.js';
import type { HandlersOf } from './context.js';
import type { AccountServiceDefinition } from '../gen/signet/auth/v1/account_service.js';
import type { AdminServiceDefinition } from '../gen/signet/auth/v1/admin_service.js';
import { unbuilt } from './unbuilt.js';

type SessionRpcs = 'RevokeAllSessions' | 'RevokeDevice' | 'ListMySessions' | 'GetSecurityHistory';

export function sessionHandlers(_deps: Deps): Pick<HandlersOf<typeof AccountServiceDefinition>, SessionRpcs> {
  return {
    RevokeAllSessions: unbuilt('RevokeAllSessions'),
    RevokeDevice: unbuilt('RevokeDevice'),
    ListMySessions: unbuilt('ListMySessions'),
    GetSecurityHistory: unbuilt('GetSecurityHistory'),
  };
}

export function adminSessionHandlers(
  _deps: Deps,
): Pick<HandlersOf<typeof AdminServiceDefinition>, 'ListSessions' | 'RevokeSession' | 'RevokeUserSessions'> {
  return {
    ListSessions: unbuilt('ListSessions'),
    RevokeSession: unbuilt('RevokeSession'),
    RevokeUserSessions: unbuilt('RevokeUserSessions'),
  };
}
