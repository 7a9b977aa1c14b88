import { describe, expect, it } from 'vitest';
import { Readiness, type ReadinessCheck } from '../../src/lifecycle/readiness.js';
import { FakeClock } from '../helpers/clock.js';

function counted(name: string, answer: () => Promise<string>) {
  const check = { name, calls: 0, probe: () => (check.calls++, answer()) };
  return check satisfies ReadinessCheck;
}

describe('readiness', () => {
  it('is ready when every check is ok, and names every check', async () => {
    const r = new Readiness([counted('database', async () => 'ok'), counted('keys', async () => 'ok')], new FakeClock());
    expect(await r.report()).toEqual({ ready: true, failed: [], checks: { database: 'ok', keys: 'ok' } });
  });

  it('names what failed: a rejection, a slow probe, a probe word', async () => {
    const r = new Readiness(
      [
        counted('database', async () => 'ok'),
        counted('redis', () => Promise.reject(new Error('ECONNREFUSED 10.0.0.7:6379'))),
        counted('slow', () => new Promise(() => undefined)),
        counted('migrations', async () => 'pending'),
      ],
      new FakeClock(),
      { timeoutMs: 1 },
    );
    expect(await r.report()).toEqual({
      ready: false,
      failed: ['redis', 'slow', 'migrations'],
      checks: { database: 'ok', redis: 'unreachable', slow: 'timeout', migrations: 'pending' },
    });
  });

  it('probes once for a storm of callers, and again once the report is a second old', async () => {
    const clock = new FakeClock();
    const db = counted('database', async () => 'ok');
    const r = new Readiness([db], clock);
    await Promise.all(Array.from({ length: 50 }, () => r.report()));
    expect(db.calls).toBe(1);
    clock.advance(999);
    await r.report();
    expect(db.calls).toBe(1);
    clock.advance(1);
    await r.report();
    expect(db.calls).toBe(2);
  });

  it('says draining from the moment the drain begins, without probing, and tells its listeners first', async () => {
    const db = counted('database', async () => 'ok');
    const r = new Readiness([db], new FakeClock());
    const heard: boolean[] = [];
    r.onChange((ready) => heard.push(ready));
    await r.report();
    r.drain();
    expect(heard).toEqual([true, false]);
    expect(await r.report()).toEqual({ ready: false, failed: ['draining'], checks: {} });
    expect(db.calls).toBe(1);
  });

  it('does not report ready when the drain began while probing', async () => {
    let release!: (v: string) => void;
    const r = new Readiness([counted('database', () => new Promise((res) => (release = res)))], new FakeClock(), { timeoutMs: 60_000 });
    const pending = r.report();
    r.drain();
    release('ok');
    expect((await pending).failed).toEqual(['draining']);
  });
});
