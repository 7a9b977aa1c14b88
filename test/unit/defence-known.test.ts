// What an instance remembers it must refuse (rate limits over for the minute, blocked IPs, locks
// it has seen): answered without the store, and exactly as the store would answer.
import { describe, expect, it, vi } from 'vitest';
import { KnownRefusals } from '../../src/domain/defence/refusals.js';
import { RateLimiter } from '../../src/domain/defence/ratelimit.js';
import { KvRateCounters } from '../../src/storage/kv/counters.js';
import { admitted } from '../../src/domain/defence/request-checks.js';
import { Lockout } from '../../src/domain/defence/lockout.js';
import { MemoryKeyValueStore } from '../../src/storage/memory/index.js';
import { KvLockoutStore } from '../../src/storage/kv/lockout.js';
import { isSignetError } from '../../src/domain/errors.js';
import type { DefenceSettings } from '../../src/config.js';
import { FakeClock } from '../helpers/clock.js';

const defence = (over: Partial<DefenceSettings> = {}): DefenceSettings => ({
  ipPerMinute: 0,
  clientPerMinute: 0,
  ipFailuresCaptcha: 0,
  ipFailuresBlock: 0,
  ipFailureWindowSeconds: 900,
  captchaTtlSeconds: 300,
  ...over,
});

/**
 * The in-process store on a fake clock pinned mid-minute: no per-minute window rolls over while
 * a test counts, and TTLs move only with the clock.
 */
function onFakeTime(): { clock: FakeClock; kv: MemoryKeyValueStore } {
  const clock = FakeClock.midMinute();
  return { clock, kv: new MemoryKeyValueStore({ sweepIntervalMs: 0, now: () => clock.now() }) };
}

async function reasonOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'passed';
  } catch (err) {
    return isSignetError(err) ? `${err.reason}:${err.details.metadata?.scope ?? ''}` : String(err);
  }
}

describe('KnownRefusals', () => {
  it('answers the seconds left until the refusal ends, then forgets it', () => {
    let now = 1_000_000;
    const k = new KnownRefusals(() => now);
    expect(k.remaining('a')).toBe(0);
    k.remember('a', now + 2500);
    expect(k.remaining('a')).toBe(3);
    now += 2000;
    expect(k.remaining('a')).toBe(1);
    now += 600;
    expect(k.remaining('a')).toBe(0);
    k.remember('b', now - 1);
    expect(k.remaining('b')).toBe(0);
    k.remember('c', now + 10_000);
    k.forget('c');
    expect(k.remaining('c')).toBe(0);
  });

  it('stays bounded under a flood of distinct keys, keeping the newest', () => {
    const clock = new FakeClock();
    const k = new KnownRefusals(() => clock.now());
    const end = clock.now() + 60_000;
    for (let i = 0; i < 25_000; i++) k.remember(`ip-${i}`, end);
    expect(k.remaining('ip-24999')).toBeGreaterThan(0);
    expect(k.remaining('ip-0')).toBe(0);
    let kept = 0;
    for (let i = 0; i < 25_000; i++) if (k.remaining(`ip-${i}`) > 0) kept++;
    expect(kept).toBeLessThanOrEqual(10_000);
    expect(kept).toBeGreaterThan(5_000);
  });
});

describe('RateLimiter admission', () => {
  it('counts every request until the limit, then refuses the rest of the minute without the store', async () => {
    const { clock, kv } = onFakeTime();
    const limiter = new RateLimiter(new KvRateCounters(kv), defence({ ipPerMinute: 3 }), clock);
    const incr = vi.spyOn(kv, 'incr');
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await reasonOf(limiter.admit('10.0.0.1', 'web').limits()));
    expect(answers).toEqual(['passed', 'passed', 'passed', 'resource_exhausted:ip']);
    expect(incr).toHaveBeenCalledTimes(4);
    // Known now: refused before any I/O, by refuseKnownLimits and by limits alike.
    const admission = limiter.admit('10.0.0.1', 'web');
    expect(await reasonOf(() => admission.refuseKnownLimits())).toBe('resource_exhausted:ip');
    expect(await reasonOf(admission.limits())).toBe('resource_exhausted:ip');
    expect(incr).toHaveBeenCalledTimes(4);
    // Another IP has its own budget.
    expect(await reasonOf(limiter.admit('10.0.0.2', 'web').limits())).toBe('passed');
  });

  it('runs its checks once however often it is asked, and reads the IP failure count only when asked', async () => {
    const { clock, kv } = onFakeTime();
    const limiter = new RateLimiter(new KvRateCounters(kv), defence({ ipPerMinute: 100, ipFailuresCaptcha: 2, ipFailuresBlock: 3 }), clock);
    await limiter.recordIpFailure('10.0.0.3');
    const incr = vi.spyOn(kv, 'incr');
    const get = vi.spyOn(kv, 'get');
    const admission = limiter.admit('10.0.0.3', '');
    expect(incr).not.toHaveBeenCalled(); // nothing runs until the domain asks
    await Promise.all([admission.limits(), admission.limits()]);
    expect(incr).toHaveBeenCalledTimes(1);
    expect(get).not.toHaveBeenCalled();
    const [f1, f2] = await Promise.all([admission.ipFailures(), admission.ipFailures()]);
    expect(f1.count).toBe(1);
    expect(f2).toBe(f1);
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('remembers a blocked IP for the rest of its failure window', async () => {
    const { clock, kv } = onFakeTime();
    const limiter = new RateLimiter(new KvRateCounters(kv), defence({ ipFailuresBlock: 2 }), clock);
    await limiter.recordIpFailure('10.0.0.4');
    await limiter.recordIpFailure('10.0.0.4');
    const admission = limiter.admit('10.0.0.4', '');
    expect(await reasonOf(() => admission.refuseKnownIpBlock())).toBe('passed');
    const ipFailures = await admission.ipFailures();
    expect(await reasonOf(() => limiter.checkIpFailures(ipFailures))).toBe('resource_exhausted:ip_failures');
    const get = vi.spyOn(kv, 'get');
    expect(await reasonOf(() => limiter.admit('10.0.0.4', '').refuseKnownIpBlock())).toBe('resource_exhausted:ip_failures');
    expect(get).not.toHaveBeenCalled();
    expect(await reasonOf(() => limiter.admit('10.0.0.5', '').refuseKnownIpBlock())).toBe('passed');
  });

  it('remembers a block until the end of the window the count was read in, not a later one', async () => {
    const { clock, kv } = onFakeTime();
    const limiter = new RateLimiter(new KvRateCounters(kv), defence({ ipFailuresBlock: 1, ipFailureWindowSeconds: 900 }), clock);
    // A count read in a window that has ended since: the block it shows is over.
    const stale = { count: 5, key: 'ipf:10.0.0.9:1', window: 1, end: clock.now() - 1 };
    expect(await reasonOf(() => limiter.checkIpFailures(stale))).toBe('resource_exhausted:ip_failures');
    expect(await reasonOf(() => limiter.admit('10.0.0.9', '').refuseKnownIpBlock())).toBe('passed');
  });

  it('calls an IP or client busy once half its limit was counted here this minute', async () => {
    const { clock, kv } = onFakeTime();
    const limiter = new RateLimiter(new KvRateCounters(kv), defence({ ipPerMinute: 10, clientPerMinute: 1000 }), clock);
    const busy = Array.from({ length: 7 }, () => limiter.admit('10.0.1.1', 'web').busy());
    expect(busy).toEqual([false, false, false, false, false, true, true]);
    expect(limiter.admit('10.0.1.2', 'web').busy()).toBe(false);
  });

  it('does not refuse a request the limits already admitted, whatever others learned since', async () => {
    const { clock, kv } = onFakeTime();
    const limiter = new RateLimiter(new KvRateCounters(kv), defence({ ipPerMinute: 1 }), clock);
    const first = limiter.admit('10.0.3.1', '');
    await first.limits();
    expect(await reasonOf(limiter.admit('10.0.3.1', '').limits())).toBe('resource_exhausted:ip');
    // The second one's refusal is known here now; the first was admitted by Redis and stays so.
    expect(await reasonOf(() => first.refuseKnownLimits())).toBe('passed');
    expect(await reasonOf(() => limiter.admit('10.0.3.1', '').refuseKnownLimits())).toBe('resource_exhausted:ip');
  });

  it('turns busy on what Redis reports every instance counted, not only on its own count', async () => {
    const { clock, kv } = onFakeTime();
    const limiter = new RateLimiter(new KvRateCounters(kv), defence({ ipPerMinute: 10 }), clock);
    // Another instance has counted 6 requests from this IP this minute.
    const other = new RateLimiter(new KvRateCounters(kv), defence({ ipPerMinute: 10 }), clock);
    for (let i = 0; i < 6; i++) await other.admit('10.0.3.2', '').limits();
    const a = limiter.admit('10.0.3.2', '');
    expect(a.busy()).toBe(false);
    await a.limits();
    expect(limiter.admit('10.0.3.2', '').busy()).toBe(true);
  });

  it('counts a request that fails on its own, and lets a refusal by the limits win', async () => {
    const { clock, kv } = onFakeTime();
    const limiter = new RateLimiter(new KvRateCounters(kv), defence({ ipPerMinute: 2 }), clock);
    const incr = vi.spyOn(kv, 'incr');
    const own = () => Promise.reject(new Error('bad request'));
    expect(await reasonOf(admitted(limiter.admit('10.0.2.1', ''), own))).toBe('Error: bad request');
    expect(await reasonOf(admitted(limiter.admit('10.0.2.1', ''), own))).toBe('Error: bad request');
    expect(incr).toHaveBeenCalledTimes(2);
    expect(await reasonOf(admitted(limiter.admit('10.0.2.1', ''), own))).toBe('resource_exhausted:ip');
    // A success has been counted by the request itself (limits() is shared, not run twice).
    const a = limiter.admit('10.0.2.2', '');
    expect(await admitted(a, async () => (await a.limits(), 'ok'))).toBe('ok');
    expect(incr).toHaveBeenCalledTimes(4);
  });

  it('leaves no unobserved rejection behind when the request fails before waiting for it', async () => {
    const { clock, kv } = onFakeTime();
    const limiter = new RateLimiter(new KvRateCounters(kv), defence({ ipPerMinute: 1 }), clock);
    await limiter.admit('10.0.0.6', '').limits();
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      limiter.admit('10.0.0.7', '').limits(); // passes
      const dropped = limiter.admit('10.0.0.6', '');
      void dropped.limits(); // rejects; nobody awaits it
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('Lockout: locks seen from an identifier', () => {
  const policy = { lockoutEnabled: true, maxFailedAttempts: 2, lockSeconds: 60, captchaAfterFailures: 0, alwaysCaptcha: false } as never;

  it('costs no I/O for an identifier never seen locked, one read to confirm one that was', async () => {
    const { clock, kv } = onFakeTime();
    const lockout = new Lockout(new KvLockoutStore(kv), clock);
    const get = vi.spyOn(kv, 'get');
    expect(lockout.seenLocked('t1', 'P:username:ann')).toBe(false);
    await lockout.rememberLock('t1', 'P:username:ann', 60);
    expect(get).not.toHaveBeenCalled();
    expect(lockout.seenLocked('t1', 'P:username:ann')).toBe(true);
    expect(await reasonOf(lockout.confirmLock('t1', 'P:username:ann'))).toBe('invalid_status:');
    expect(get).toHaveBeenCalledTimes(1);
    expect(lockout.seenLocked('t1', 'P:username:bob')).toBe(false);
  });

  it('lets a lock lifted elsewhere (an unlock through another instance) through at once', async () => {
    const { clock, kv } = onFakeTime();
    const here = new Lockout(new KvLockoutStore(kv), clock);
    const there = new Lockout(new KvLockoutStore(kv), clock);
    await here.rememberLock('t1', 'P:username:cy', 60);
    await there.forgetLocks('t1', ['P:username:cy']);
    expect(await reasonOf(here.confirmLock('t1', 'P:username:cy'))).toBe('passed');
    expect(here.seenLocked('t1', 'P:username:cy')).toBe(false);
  });

  it("gives a successful attempt's place back, held back only with no failures and budget to spare", async () => {
    const { clock, kv } = onFakeTime();
    const runSoon = vi.spyOn(kv, 'runSoon');
    const lockout = new Lockout(new KvLockoutStore(kv), clock);
    const p5 = { ...(policy as object), maxFailedAttempts: 5 } as never;
    const s = { tenantId: 't1', key: 'u:dee' };
    const place = await lockout.reserve(s, p5);
    expect(place).toEqual({ failures: 0, inFlight: 1 });
    await lockout.succeeded(s, place, p5);
    expect(runSoon).toHaveBeenCalledTimes(1);
    expect((runSoon.mock.calls[0] as unknown[])[3]).toBeLessThanOrEqual(250);
    // One failure, then a success: the count is cleared at once, not held back.
    await lockout.reserve(s, p5);
    await lockout.fail(s, p5);
    const after = await lockout.reserve(s, p5);
    expect(after.failures).toBe(1);
    await lockout.succeeded(s, after, p5);
    expect(runSoon).toHaveBeenCalledTimes(1);
    expect(await lockout.failures(s)).toBe(0);
    // Little budget left (max 2): given back at once.
    const tight = await lockout.reserve(s, policy);
    await lockout.succeeded(s, tight, policy);
    expect(runSoon).toHaveBeenCalledTimes(1);
    // Every place is back: the whole budget is free.
    await lockout.reserve(s, policy);
    await lockout.reserve(s, policy);
    expect(await reasonOf(lockout.reserve(s, policy))).toBe('resource_exhausted:attempts_in_flight');
  });

  it('never lets a held success clear failures counted after it', async () => {
    const { clock, kv } = onFakeTime();
    const held: Array<() => Promise<unknown>> = [];
    vi.spyOn(kv, 'runSoon').mockImplementation((script, keys, args) => void held.push(() => script(keys, args)));
    const lockout = new Lockout(new KvLockoutStore(kv), clock);
    const p5 = { ...(policy as object), maxFailedAttempts: 5 } as never;
    const s = { tenantId: 't1', key: 'u:eve' };
    await lockout.succeeded(s, await lockout.reserve(s, p5), p5);
    expect(held).toHaveLength(1);
    // Meanwhile (another instance) a wrong guess is counted; then the held update arrives.
    await lockout.reserve(s, p5);
    await lockout.fail(s, p5);
    await held[0]();
    expect(await lockout.failures(s)).toBe(1);
    // And its place is back: one failure, nothing in flight.
    expect(await lockout.reserve(s, p5)).toEqual({ failures: 1, inFlight: 1 });
  });
});
