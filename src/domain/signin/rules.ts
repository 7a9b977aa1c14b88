// Small rules every sign-in shares: how a request's user type and
// channel read, and whether an account may sign in at all.
import { SignetError, invalidArgument } from '../errors.js';
import type { User, UserType } from '../model.js';

export function readUserType(v: string | undefined): UserType {
  if (!v || v === 'P') return 'P';
  if (v === 'C') return 'C';
  throw invalidArgument('user_type', 'must be P or C');
}

/** The session's channel; an app session is bound to its device, so `app` needs a device id. */
export function readChannel(v: string | undefined, deviceId: string): string {
  if (!v) return '';
  if (v !== 'web' && v !== 'app') throw invalidArgument('source_type', 'must be web or app');
  if (v === 'app' && !deviceId) throw invalidArgument('device_id', 'source_type app needs a device_id');
  return v;
}

/**
 * Account state is told only to someone who knows the password (or holds a code), so it
 * reveals nothing to a guesser.
 */
export function checkUsable(user: User, now: Date): void {
  if (user.status === 'blocked') throw new SignetError('user_blocked', 'user_blocked');
  if (user.status === 'pending') throw new SignetError('user_pending', 'user_pending');
  if (user.expiresAt && user.expiresAt.getTime() <= now.getTime()) throw new SignetError('user_expired', 'user_expired');
}
