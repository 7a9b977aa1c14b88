// What an instance remembers it must refuse (rate limits over for the minute, blocked IPs, locks
// it has seen): answered without the store, and exactly as the store would answer.
import { describe, expect, it, vi } from 'vitest';
import { KnownRefusals } from '../../src/domain/defence/refusals.js';
import { RateLimiter } from '../../src/domain/defence/ratelimit.js';
import { Lockout } from '../../src/domain/defence/lockout.js';
import { MemoryKeyValueStore } from '../../src/storage/memory/index.js';
import { isSignetError } from '../../src/domain/errors.js';
import type { DefenceSettings } from '../../src/config.js';

const defence = (over: Partial<DefenceSettings> = {}): DefenceSettings => ({
  ipPerMinute: 0, clientPerMinute: 0, ipFailuresCaptcha: 0, ipFailuresBlock: 0, ipFailureWindowSeconds: 900, captchaTtlSeconds: 300, ...over,
});

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
    const k = new KnownRefusals();
    const end = Date.now() + 60_000;
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
    const kv = new MemoryKeyValueStore({ sweepIntervalMs: 0 });
    const limiter = new RateLimiter(kv, defence({ ipPerMinute: 3 }));
    const incr = vi.spyOn(kv, 'incr');
    // Near the end of a minute the window (and what is remembered) could roll over mid-test.
    if (Date.now() % 60_000 > 55_000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 50));
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await reasonOf(limiter.admit('10.0.0.1', 'web').limits()));
    expect(answers).toEqual(['passed', 'passed', 'passed', 'resource_exhausted:ip']);
    expect(incr).toHaveBeenCalledTimes(4);
    // Known now: refused before any I/O, by refuseKnown and by check alike.
    const admission = limiter.admit('10.0.0.1', 'web');
    expect(await reasonOf(() => admission.refuseKnown())).toBe('resource_exhausted:ip');
    expect(await reasonOf(admission.limits())).toBe('resource_exhausted:ip');
    expect(incr).toHaveBeenCalledTimes(4);
    // Another IP has its own budget.
    expect(await reasonOf(limiter.admit('10.0.0.2', 'web').limits())).toBe('passed');
  });

  it('runs its checks once however often it is asked, and reads the IP failure count only when asked', async () => {
    const kv = new MemoryKeyValueStore({ sweepIntervalMs: 0 });
    const limiter = new RateLimiter(kv, defence({ ipPerMinute: 100, ipFailuresCaptcha: 2, ipFailuresBlock: 3 }));
    await limiter.recordIpFailure('10.0.0.3');
    const incr = vi.spyOn(kv, 'incr');
    const get = vi.spyOn(kv, 'get');
    const admission = limiter.admit('10.0.0.3', '');
    expect(incr).not.toHaveBeenCalled(); // nothing runs until the domain asks
    await Promise.all([admission.limits(), admission.limits()]);
    expect(incr).toHaveBeenCalledTimes(1);
    expect(get).not.toHaveBeenCalled();
    expect(await Promise.all([admission.ipFailures(), admission.ipFailures()])).toEqual([1, 1]);
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('remembers a blocked IP for the rest of its failure window', async () => {
    const kv = new MemoryKeyValueStore({ sweepIntervalMs: 0 });
    const limiter = new RateLimiter(kv, defence({ ipFailuresBlock: 2 }));
    await limiter.recordIpFailure('10.0.0.4');
    await limiter.recordIpFailure('10.0.0.4');
    const admission = limiter.admit('10.0.0.4', '');
    expect(await reasonOf(() => admission.refuseKnown())).toBe('passed');
    const ipFailures = await admission.ipFailures();
    expect(await reasonOf(() => limiter.checkIpFailures('10.0.0.4', ipFailures))).toBe('resource_exhausted:ip_failures');
    const get = vi.spyOn(kv, 'get');
    expect(await reasonOf(() => limiter.admit('10.0.0.4', '').refuseKnown())).toBe('resource_exhausted:ip_failures');
    expect(get).not.toHaveBeenCalled();
    expect(await reasonOf(() => limiter.admit('10.0.0.5', '').refuseKnown())).toBe('passed');
  });

  it('leaves no unobserved rejection behind when the request fails before waiting for it', async () => {
    const kv = new MemoryKeyValueStore({ sweepIntervalMs: 0 });
    const limiter = new RateLimiter(kv, defence({ ipPerMinute: 1 }));
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
    const kv = new MemoryKeyValueStore({ sweepIntervalMs: 0 });
    const lockout = new Lockout(kv);
    const get = vi.spyOn(kv, 'get');
    await lockout.refuseKnownLock('t1', 'P:username:ann');
    expect(get).not.toHaveBeenCalled();
    await lockout.rememberLock('t1', 'P:username:ann', 60);
    expect(await reasonOf(lockout.refuseKnownLock('t1', 'P:username:ann'))).toBe('invalid_status:');
    expect(get).toHaveBeenCalledTimes(1);
    await lockout.refuseKnownLock('t1', 'P:username:bob');
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('lets a lock lifted elsewhere (an unlock through another instance) through at once', async () => {
    const kv = new MemoryKeyValueStore({ sweepIntervalMs: 0 });
    const here = new Lockout(kv);
    const there = new Lockout(kv);
    await here.rememberLock('t1', 'P:username:cy', 60);
    await there.forgetLocks('t1', ['P:username:cy']);
    expect(await reasonOf(here.refuseKnownLock('t1', 'P:username:cy'))).toBe('passed');
  });

  it('gives a successful attempt\'s place back, held back only when there were no failures to clear', async () => {
    const kv = new MemoryKeyValueStore({ sweepIntervalMs: 0 });
    const runSoon = vi.spyOn(kv, 'runSoon');
    const lockout = new Lockout(kv);
    const s = { tenantId: 't1', key: 'u:dee' };
    expect(await lockout.reserve(s, policy)).toBe(0);
    await lockout.succeeded(s, 0);
    expect(runSoon).toHaveBeenCalledTimes(1);
    expect((runSoon.mock.calls[0] as unknown[])[3]).toBeLessThanOrEqual(250);
    // One failure, then a success: the count is cleared at once, not held back.
    await lockout.reserve(s, policy);
    await lockout.fail(s, policy);
    expect(await lockout.reserve(s, policy)).toBe(1);
    await lockout.succeeded(s, 1);
    expect(runSoon).toHaveBeenCalledTimes(1);
    expect(await lockout.failures(s)).toBe(0);
    // Every place is back: the whole budget is free.
    expect(await lockout.reserve(s, policy)).toBe(0);
    expect(await lockout.reserve(s, policy)).toBe(0);
    expect(await reasonOf(lockout.reserve(s, policy))).toBe('resource_exhausted:attempts_in_flight');
  });
});
