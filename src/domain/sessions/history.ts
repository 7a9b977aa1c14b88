// The signed-in user's security history: their own sign-ins and account changes, read from the
// audit trail. Only events with an action below are shown (token refreshes, codes sent, locks and
// everything operator-side are not), and never the operator's detail.
import type { Deps } from '../deps.js';
import type { AuditEvent } from '../ports.js';
import { invalidArgument } from '../errors.js';
import { signedInSession } from './bearer.js';

/** Audit event → the action CloudBase's SDK filters on. */
export const HISTORY_ACTIONS: Readonly<Record<string, string>> = {
  sign_in: 'USER_LOGIN',
  sign_in_failed: 'USER_LOGIN_FAILED',
  sign_up: 'SIGN_UP',
  password_changed: 'PASSWORD_CHANGED',
  password_reset: 'PASSWORD_RESET',
  contact_changed: 'CONTACT_CHANGED',
  account_deleted: 'ACCOUNT_DELETED',
  sessions_revoked: 'SESSIONS_REVOKED',
  profile_updated: 'PROFILE_UPDATED',
  anonymous_upgraded: 'ANONYMOUS_UPGRADED',
  consent_granted: 'CONSENT_GRANTED',
  consent_revoked: 'CONSENT_REVOKED',
};

export const HISTORY_DEFAULT_LIMIT = 20;
export const HISTORY_MAX_LIMIT = 100;

export interface HistoryQuery {
  /** Equality filters: only `action` is known (its value may list actions, comma-separated). */
  query: Record<string, string>;
  /** Inequality filters: only `action`. */
  neQuery: Record<string, string>;
  limit: number;
  pageToken: string;
  ip: string;
}

export interface HistoryEntry {
  id: string;
  action: string;
  /** How: the sign-in method or the change made (the audit reason). */
  from: string;
  ip: string;
  clientId: string;
  deviceId: string;
  createdAt: Date;
}

export interface HistoryPage {
  entries: HistoryEntry[];
  nextPageToken: string;
}

function actionsOf(filter: Record<string, string>, field: string): Set<string> | undefined {
  for (const key of Object.keys(filter)) if (key !== 'action') throw invalidArgument(`${field}[${key}]`, 'only action can be filtered on');
  const v = filter.action;
  if (v === undefined) return undefined;
  return new Set(
    v
      .split(',')
      .map((a) => a.trim().toUpperCase())
      .filter((a) => a !== ''),
  );
}

/** The caller's own security events, newest first. */
export async function securityHistory(deps: Deps, accessToken: string, q: HistoryQuery): Promise<HistoryPage> {
  const { user } = await signedInSession(deps, accessToken, q.ip);
  if (q.limit < 0) throw invalidArgument('limit', 'must not be negative');
  const limit = Math.min(q.limit || HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT);
  const only = actionsOf(q.query, 'query');
  const not = actionsOf(q.neQuery, 'ne_query');
  const events = Object.keys(HISTORY_ACTIONS).filter((e) => {
    const action = HISTORY_ACTIONS[e];
    return (!only || only.has(action)) && !not?.has(action);
  });
  // An action nobody records matches nothing (an empty set must not read as "no filter").
  if (events.length === 0) return { entries: [], nextPageToken: '' };
  // What was recorded a moment ago (this very sign-in) should be listed: write the buffer first.
  await deps.audit.flush();
  const page = await deps.storage.audit.list({ userId: user.id, events }, { pageSize: limit, pageToken: q.pageToken });
  return { entries: page.items.map(entryOf), nextPageToken: page.nextPageToken };
}

const entryOf = (e: AuditEvent): HistoryEntry => ({
  id: String(e.id),
  action: HISTORY_ACTIONS[e.event],
  from: e.reason ?? '',
  ip: e.ip ?? '',
  clientId: e.clientId ?? '',
  deviceId: e.deviceId ?? '',
  createdAt: e.time,
});
