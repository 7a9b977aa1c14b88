// PostgreSQL cut for 30 s under a steady load of sign-ins and refreshes: a TCP proxy between
// Signet and the database destroys every connection and refuses new ones, then lets them through
// again. Every answer is a success or a clean `unavailable` with RetryInfo, quickly, in every
// dialect; service is back within seconds; and the audit trail has every event of the window.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_BOUND_MS, FAULT_ENV, RECOVERY_MS, steadyLoad, TcpProxy } from '../helpers/faults.js';
import { dropSchema, PG_URL, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';

const OUTAGE_MS = 30_000;

async function sql<T>(text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('PostgreSQL cut under load', () => {
  let proxy: TcpProxy;
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;

  beforeAll(async () => {
    const url = new URL(PG_URL);
    proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    s = await startTestSignet({ backend: 'postgres', env: { ...FAULT_ENV, DATABASE_URL: url.toString() } });
    fx = await seed(s);
  });
  afterAll(async () => {
    await proxy?.restore().catch(() => undefined);
    await s?.stop();
    await proxy?.cut();
    await dropSchema(s?.schema);
  });

  it('answers unavailable while the database is away, recovers, and loses no audit event', { timeout: 120_000 }, async () => {
    const audit = s.running.deps.audit;
    await audit.flush();
    const [{ max }] = await sql<{ max: string | null }>(`SELECT max(id)::text AS max FROM "${s.schema}".audit_events`);
    const recorded = new Map<string, number>();
    const record = audit.record.bind(audit);
    audit.record = (e) => {
      recorded.set(e.event, (recorded.get(e.event) ?? 0) + 1);
      record(e);
    };

    const load = await steadyLoad(s, fx.password);
    await sleep(1500);
    await proxy.cut();
    const cutAt = Date.now();
    let backlog = 0;
    while (Date.now() - cutAt < OUTAGE_MS) {
      await sleep(500);
      backlog = Math.max(backlog, audit.backlog());
    }
    const restoring = Date.now();
    await proxy.restore();
    const backAt = Date.now();
    await sleep(RECOVERY_MS + 2000);
    await load.stop();

    expect(load.problems()).toEqual([]);
    const down = load.within(cutAt, restoring);
    expect(down.length).toBeGreaterThan(10);
    expect(down.filter((o) => o.result !== 'unavailable')).toEqual([]);
    expect(load.slowestUnavailable()).toBeLessThan(ANSWER_BOUND_MS);
    const late = load.outcomes.filter((o) => o.start >= backAt + RECOVERY_MS);
    for (const kind of load.kinds()) expect(late.filter((o) => o.kind === kind).length, kind).toBeGreaterThan(0);
    expect(late.filter((o) => o.result !== 'ok')).toEqual([]);

    // The outage's events waited in memory, then reached the table: all of them.
    expect(backlog).toBeGreaterThan(0);
    await audit.flush();
    expect(audit.backlog()).toBe(0);
    expect(audit.dropped()).toBe(0);
    const rows = await sql<{ event: string; n: number }>(
      `SELECT event, count(*)::int AS n FROM "${s.schema}".audit_events WHERE id > ${max ?? 0} GROUP BY event`,
    );
    const stored = new Map(rows.map((r) => [r.event, r.n]));
    for (const [event, n] of recorded) expect(stored.get(event) ?? 0, event).toBeGreaterThanOrEqual(n);
    console.log('postgres fault:', {
      answers: load.outcomes.length,
      unavailable: load.outcomes.filter((o) => o.result === 'unavailable').length,
      slowestUnavailableMs: load.slowestUnavailable(),
      recoveryMs: load.recovery(backAt),
      auditBacklogPeak: backlog,
      audited: Object.fromEntries(recorded),
      stored: Object.fromEntries(stored),
    });
  });
});
