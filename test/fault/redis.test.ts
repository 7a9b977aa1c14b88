// Redis killed (SIGKILL) for 5 s under a steady load of sign-ins and refreshes, then started
// again, empty, on the same port: every answer is a success or a clean `unavailable` with
// RetryInfo, quickly, in every dialect; nothing succeeds without Redis (rate limits and lockout
// refuse rather than admit); and Redis back means service back within seconds.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_BOUND_MS, FAULT_ENV, type Load, RECOVERY_MS, RedisProcess, steadyLoad } from '../helpers/faults.js';
import { dropSchema, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';

describe('Redis killed under load', () => {
  let redis: RedisProcess;
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    s = await startTestSignet({ backend: 'postgres', env: { ...FAULT_ENV, REDIS_URL: redis.url } });
    fx = await seed(s);
  });
  afterAll(async () => {
    await s?.stop();
    await redis?.kill();
    await dropSchema(s?.schema);
  });

  /** Every answer clean and bounded, nothing admitted while Redis was away, all well once it is back. */
  function judge(load: Load, down: { from: number; to: number; minDuring: number }, backAt: number, label: string) {
    const { minDuring } = down;
    expect(load.problems()).toEqual([]);
    const during = load.within(down.from, down.to);
    expect(during.length).toBeGreaterThan(minDuring);
    expect(during.filter((o) => o.result !== 'unavailable')).toEqual([]);
    expect(load.slowestUnavailable()).toBeLessThan(ANSWER_BOUND_MS);
    const late = load.outcomes.filter((o) => o.start >= backAt + RECOVERY_MS);
    for (const kind of load.kinds()) expect(late.filter((o) => o.kind === kind).length, kind).toBeGreaterThan(0);
    expect(late.filter((o) => o.result !== 'ok')).toEqual([]);
    console.log(`${label}:`, {
      answers: load.outcomes.length,
      unavailable: load.outcomes.filter((o) => o.result === 'unavailable').length,
      slowestUnavailableMs: load.slowestUnavailable(),
      recoveryMs: load.recovery(backAt),
    });
  }

  it('answers unavailable while Redis is killed, admits nobody, and recovers', { timeout: 60_000 }, async () => {
    const load = await steadyLoad(s, fx.password);
    await sleep(1500);
    await redis.kill();
    const from = Date.now();
    await sleep(5000);
    const to = Date.now();
    await redis.restart();
    const backAt = Date.now();
    await sleep(RECOVERY_MS + 2000);
    await load.stop();
    judge(load, { from, to, minDuring: 20 }, backAt, 'redis killed');
  });

  it('answers unavailable within the command timeout while Redis stalls', { timeout: 60_000 }, async () => {
    const load = await steadyLoad(s, fx.password);
    await sleep(1500);
    redis.freeze(true);
    const from = Date.now();
    await sleep(5000);
    // What was sent before the stall may still be answered once it ends: judge what began in it.
    const to = Date.now();
    redis.freeze(false);
    const backAt = Date.now();
    await sleep(RECOVERY_MS + 1000);
    await load.stop();
    // A request waits for the command timeout, so each worker gets an answer every ~2 s.
    judge(load, { from: from + 100, to, minDuring: 3 }, backAt, 'redis stalled');
  });
});
