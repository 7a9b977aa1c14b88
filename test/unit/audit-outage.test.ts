// The audit writer across a database outage: kept and retried with backoff, bounded, counted
// when it must drop. Timers are vitest's fake ones: the retries are decided by the test.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditLog } from '../../src/domain/audit.js';
import type { AuditEventInput, AuditRepository } from '../../src/domain/ports.js';
import { dependencyFailure } from '../../src/storage/unavailable.js';
import { FakeClock } from '../helpers/clock.js';

type Stamped = AuditEventInput & { time: Date };

/** An audit table that is away while `down` is set (storage's `unavailable`), or refuses a batch for good. */
function table() {
  const t = {
    rows: [] as Stamped[],
    attempts: 0,
    down: false,
    refuse: (_batch: Stamped[]) => false,
    repo: {
      async append(batch: Stamped[]) {
        t.attempts++;
        if (t.down) throw dependencyFailure('database', new Error('connect ECONNREFUSED'));
        if (t.refuse(batch)) throw new Error('value too long for type character varying');
        t.rows.push(...batch);
      },
      list: async () => ({ items: [], nextPageToken: '' }),
      purge: async () => 0,
    } satisfies AuditRepository,
  };
  return t;
}

function logs() {
  const lines: { msg: string }[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

const events = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ event: 'sign_in', userId: `u${from + i}` }));

describe('audit writes across a database outage', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('keeps what the database cannot take and writes it, in order, once it is back', async () => {
    const t = table();
    const { log, lines } = logs();
    const audit = new AuditLog(t.repo, log, new FakeClock(), { flushMs: 250, retryMaxMs: 4000 });
    t.down = true;
    for (const e of events(10)) audit.record(e);
    // 40 s away: retries back off (250 ms doubling to 4 s), about a dozen attempts, not hundreds.
    for (let s = 0; s < 40; s++) {
      await vi.advanceTimersByTimeAsync(1000);
      for (const e of events(5, 10 + s * 5)) audit.record(e);
    }
    expect(audit.backlog()).toBe(210);
    expect(t.attempts).toBeGreaterThan(8);
    expect(t.attempts).toBeLessThan(16);
    t.down = false;
    await vi.advanceTimersByTimeAsync(4000);
    expect(audit.backlog()).toBe(0);
    expect(audit.dropped()).toBe(0);
    expect(t.rows.map((r) => r.userId)).toEqual(events(210).map((e) => e.userId));
    expect(lines.map((l) => l.msg)).toContain('audit writes resumed');
    // Back to normal: one write per flush interval.
    const before = t.attempts;
    for (const e of events(3)) audit.record(e);
    await vi.advanceTimersByTimeAsync(250);
    expect(t.attempts).toBe(before + 1);
  });

  it('holds at most the backlog bound, then drops new events, counts and logs them', async () => {
    const t = table();
    const { log, lines } = logs();
    const audit = new AuditLog(t.repo, log, new FakeClock(), { maxBacklog: 100, maxBatch: 50 });
    t.down = true;
    for (const e of events(130)) audit.record(e);
    await vi.advanceTimersByTimeAsync(1000);
    expect(audit.backlog()).toBe(100);
    expect(audit.dropped()).toBe(30);
    expect(lines.filter((l) => l.msg === 'audit backlog full: event dropped')).toHaveLength(1);
    t.down = false;
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.rows.map((r) => r.userId)).toEqual(events(100).map((e) => e.userId));
  });

  it('drops a batch the database refuses for good, and goes on with the next', async () => {
    const t = table();
    const { log } = logs();
    const audit = new AuditLog(t.repo, log, new FakeClock(), { maxBatch: 2 });
    t.refuse = (batch) => batch.some((e) => e.userId === 'u1');
    for (const e of events(4)) audit.record(e);
    await vi.advanceTimersByTimeAsync(0);
    await audit.flush();
    expect(t.rows.map((r) => r.userId)).toEqual(['u2', 'u3']);
    expect(audit.dropped()).toBe(2);
  });

  it('flush resolves while the database is away, keeping the events for the retry', async () => {
    const t = table();
    const audit = new AuditLog(t.repo, pino({ level: 'silent' }), new FakeClock());
    t.down = true;
    for (const e of events(3)) audit.record(e);
    await audit.flush();
    expect(audit.backlog()).toBe(3);
    t.down = false;
    await vi.advanceTimersByTimeAsync(4000);
    expect(t.rows).toHaveLength(3);
  });
});
