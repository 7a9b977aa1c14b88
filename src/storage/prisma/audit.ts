// The audit trail. The domain buffers events and appends them in batches (up to 500 every 250 ms),
// so append() is one statement whatever the batch size: nine arrays unnested into one INSERT, on
// the driver like the refresh path (one statement text, prepared once per connection). Listing is
// an admin query and goes through Prisma's query API.
//
// Order: newest first by event time, then by id. The keyset is (time, id), so paging is stable
// under concurrent appends, and every filter is a range scan of one index: (user_id, time DESC),
// (tenant_id, time DESC) or (time). (Ordering by id alone would leave those indexes unable to
// serve the ORDER BY: a tenant's first page would sort all of the tenant's events.)
import { invalidArgument } from '../../domain/errors.js';
import type { AuditEvent, AuditEventInput, AuditFilter, AuditRepository } from '../../domain/ports.js';
import type { AuditEvent as AuditEventRow, Prisma, PrismaClient } from '../../gen/prisma/client.js';
import { pageQuery, toPage } from './paging.js';
import type { SqlExecutor } from './sessions.js';

const APPEND = `
  INSERT INTO audit_events (time, event, tenant_id, user_id, client_id, device_id, ip, reason, detail)
  SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::text[], $8::text[], $9::text[])`;

const OPTIONAL = ['tenantId', 'userId', 'clientId', 'deviceId', 'ip', 'reason', 'detail'] as const;

/** Absent and empty optional fields are stored as NULL. */
const orNull = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

export const toAuditEvent = (r: AuditEventRow): AuditEvent => {
  const e: AuditEvent = { id: Number(r.id), time: r.time, event: r.event };
  for (const k of OPTIONAL) if (r[k] !== null) e[k] = r[k];
  return e;
};

/** The page token's content: the last event's time (epoch ms) and id. */
const cursorOf = (e: AuditEvent) => `${e.time.getTime()}.${e.id}`;

const INT8_MAX = 9223372036854775807n;

function parseCursor(after: string): { time: Date; id: bigint } {
  const m = /^(\d{1,15})\.(\d{1,19})$/.exec(after);
  // An id past int8 would reach PostgreSQL and fail there: a forged token is the caller's mistake.
  if (!m || BigInt(m[2]) > INT8_MAX) throw invalidArgument('page_token', 'page_token is not a token returned by a previous call');
  return { time: new Date(Number(m[1])), id: BigInt(m[2]) };
}

export function createAuditRepository(prisma: PrismaClient, sql: SqlExecutor): AuditRepository {
  return {
    async append(events: (AuditEventInput & { time: Date })[]) {
      if (events.length === 0) return;
      const columns: (string | null)[][] = [[], [], [], [], [], [], [], [], []];
      for (const e of events) {
        columns[0].push(e.time.toISOString());
        columns[1].push(e.event);
        OPTIONAL.forEach((k, i) => {
          columns[i + 2].push(orNull(e[k]));
        });
      }
      await sql.execute('signet_audit_append', APPEND, columns);
    },

    async list(filter: AuditFilter, page) {
      const q = pageQuery(page);
      const where: Prisma.AuditEventWhereInput[] = [];
      if (filter.userId) where.push({ userId: filter.userId });
      if (filter.tenantId) where.push({ tenantId: filter.tenantId });
      if (filter.event) where.push({ event: filter.event });
      if (filter.events) where.push({ event: { in: filter.events } });
      if (filter.excludeEvents) where.push({ event: { notIn: filter.excludeEvents } });
      if (filter.since) where.push({ time: { gte: filter.since } });
      if (q.after !== undefined) {
        const c = parseCursor(q.after);
        // time <= t on its own as well, so that it bounds the index scan.
        where.push({ time: { lte: c.time } }, { OR: [{ time: { lt: c.time } }, { time: c.time, id: { lt: c.id } }] });
      }
      const rows = await prisma.auditEvent.findMany({
        where: { AND: where },
        orderBy: [{ time: 'desc' }, { id: 'desc' }],
        take: q.size + 1,
      });
      return toPage(rows.map(toAuditEvent), q, cursorOf);
    },

    async purge(before) {
      const { count } = await prisma.auditEvent.deleteMany({ where: { time: { lt: before } } });
      return count;
    },
  };
}
