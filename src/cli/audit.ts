// signet audit list
import type { AuditEvent } from '../gen/signet/auth/v1/admin.js';
import { positiveInt, str, UsageError, type CommandSpec } from './args.js';
import { date, table } from './output.js';
import { listUpTo } from './paging.js';

const LIST = 'audit list';
export const DEFAULT_AUDIT_LIMIT = 100;

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;
/** google.protobuf.Timestamp's range. */
const MIN_TIME = Date.parse('0001-01-01T00:00:00Z');
const MAX_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * A --since value: an RFC 3339 time (2025-11-25T08:00:00Z, 2025-11-25T16:00:00+08:00) or an age
 * counted back from now: 90s, 30m, 24h, 7d, 2w.
 */
export function parseSince(value: string, now: Date, command = LIST): Date {
  const v = value.trim();
  const rel = /^(\d{1,12})([smhdw])$/.exec(v);
  const rfc = RFC3339.exec(v);
  let ms = NaN;
  if (rel) ms = now.getTime() - Number(rel[1]) * UNITS[rel[2]];
  // Date.parse takes more than RFC 3339 (a missing offset as local time, February 30 as March 2):
  // check first.
  else if (rfc && validFields(rfc)) ms = Date.parse(v.replace(/[ t]/, 'T').toUpperCase());
  if (!Number.isFinite(ms) || ms < MIN_TIME || ms > MAX_TIME) {
    throw new UsageError(
      `--since must be an RFC 3339 time (2025-11-25T08:00:00Z) or an age such as 30m, 24h or 7d, got "${value}"`,
      command,
    );
  }
  return new Date(ms);
}

function validFields(m: RegExpExecArray): boolean {
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const offsetOk = m[9] === undefined || (Number(m[9]) < 24 && Number(m[10]) < 60);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h < 24 && mi < 60 && sec < 60 && offsetOk;
}

export function auditTable(events: AuditEvent[]): string {
  if (events.length === 0) return 'no audit events';
  return table(
    ['TIME', 'EVENT', 'TENANT', 'USER', 'CLIENT', 'DEVICE', 'IP', 'REASON', 'DETAIL'],
    events.map((e) => [date(e.time), e.event, e.tenant_id, e.user_id, e.client_id, e.device_id, e.ip, e.reason, e.detail]),
  );
}

export const auditCommands: CommandSpec[] = [
  {
    path: ['audit', 'list'],
    summary: 'list audit events (sign-ins, token grants, failures, locks), newest first',
    options: {
      user: 'only the events of this user id',
      tenant: 'only the events of this tenant',
      event: 'only this kind of event, e.g. sign_in_failed',
      since: 'only events at or after this time: RFC 3339, or an age such as 30m, 24h, 7d',
      limit: `at most this many events (default ${DEFAULT_AUDIT_LIMIT})`,
    },
    notes: [
      'Times are shown to the second (--json: to the millisecond). Each server instance writes its events',
      'in batches every quarter second: the very latest events of other instances may not be listed yet.',
    ],
    async run(ctx, { values }) {
      const sinceText = str(values, 'since');
      const since = sinceText === undefined ? undefined : parseSince(sinceText, ctx.now());
      const limit = positiveInt(values, 'limit', LIST) ?? DEFAULT_AUDIT_LIMIT;
      const api = ctx.admin();
      const filter = {
        user_id: str(values, 'user') ?? '',
        tenant_id: str(values, 'tenant') ?? '',
        event: str(values, 'event') ?? '',
        since,
      };
      const { items: events, more } = await listUpTo(
        (page_token, page_size) => api.listAuditEvents({ page_size, page_token, ...filter }),
        (r) => r.events,
        limit,
      );
      // int64 in the proto JSON mapping is a string, as the REST API renders it.
      ctx.out.show(
        events.map((e) => ({ ...e, id: String(e.id) })),
        () => {
          const text = auditTable(events);
          return more ? `${text}\n(the newest ${events.length} shown; more match: raise --limit or narrow the filter)` : text;
        },
      );
    },
  },
];
