// The LockoutStore contract (src/domain/ports.ts), on every backend: places limited by failures
// plus attempts in flight, failures counted apart, locks, and the marks under typed identifiers.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import type { LockoutStore, LockoutSubject } from '../../src/domain/ports.js';
import { describeStores, unique } from '../helpers/stores.js';

describeStores('LockoutStore contract', (opened) => {
  const store = (): LockoutStore => opened().stores.lockout;
  const subject = (): LockoutSubject => ({ tenantId: unique('t'), key: unique('u') });

  it('takes places until failures plus attempts in flight reach the maximum', async () => {
    const s = subject();
    expect(await store().reserve(s, 3, 30)).toEqual({ outcome: 'place', failures: 0, inFlight: 1 });
    expect(await store().reserve(s, 3, 30)).toEqual({ outcome: 'place', failures: 0, inFlight: 2 });
    expect(await store().fail(s, 3, 60, 86400)).toEqual({ failures: 1, lockedFor: 0 });
    // One failure and one in flight: one place left.
    expect(await store().reserve(s, 3, 30)).toEqual({ outcome: 'place', failures: 1, inFlight: 2 });
    expect(await store().reserve(s, 3, 30)).toEqual({ outcome: 'busy' });
    expect(await store().failures(s)).toBe(1);
  });

  it('gives exactly `max` places to many parallel attempts', async () => {
    const s = subject();
    const answers = await Promise.all(Array.from({ length: 40 }, () => store().reserve(s, 5, 30)));
    expect(answers.filter((a) => a.outcome === 'place')).toHaveLength(5);
    expect(answers.filter((a) => a.outcome === 'busy')).toHaveLength(35);
  });

  it('locks at the maximum for lockSeconds, and starts the count again', async () => {
    const s = subject();
    for (let i = 1; i <= 2; i++) {
      await store().reserve(s, 3, 30);
      expect(await store().fail(s, 3, 60, 86400)).toEqual({ failures: i, lockedFor: 0 });
    }
    await store().reserve(s, 3, 30);
    expect(await store().fail(s, 3, 60, 86400)).toEqual({ failures: 3, lockedFor: 60 });
    const locked = await store().reserve(s, 3, 30);
    expect(locked.outcome).toBe('locked');
    expect(locked.outcome === 'locked' && locked.seconds).toBeGreaterThanOrEqual(59);
    expect(locked.outcome === 'locked' && locked.seconds).toBeLessThanOrEqual(60);
    expect(await store().failures(s)).toBe(0);
  });

  it('gives a place back, clearing the failures only when asked', async () => {
    const s = subject();
    await store().reserve(s, 5, 30);
    await store().fail(s, 5, 60, 86400);
    await store().reserve(s, 5, 30);
    await store().release(s, false);
    expect(await store().failures(s)).toBe(1);
    expect(await store().reserve(s, 5, 30)).toEqual({ outcome: 'place', failures: 1, inFlight: 1 });
    await store().release(s, true);
    expect(await store().failures(s)).toBe(0);
    expect(await store().reserve(s, 5, 30)).toEqual({ outcome: 'place', failures: 0, inFlight: 1 });
    // Giving back more than was taken never leaves a negative count behind.
    await store().release(s, false);
    await store().release(s, false);
    expect(await store().reserve(s, 5, 30)).toEqual({ outcome: 'place', failures: 0, inFlight: 1 });
  });

  it('gives a place back with releaseSoon within the delay allowed', async () => {
    const s = subject();
    await store().reserve(s, 5, 30);
    store().releaseSoon(s, 100);
    // Real time: the hold is the store's own timer, on either backend.
    await sleep(300);
    expect(await store().reserve(s, 5, 30)).toEqual({ outcome: 'place', failures: 0, inFlight: 1 });
  });

  it('forgets failures, places and the lock on reset, and keeps subjects apart', async () => {
    const s = subject();
    const other = { tenantId: s.tenantId, key: unique('u') };
    await store().reserve(s, 1, 30);
    await store().fail(s, 1, 600, 86400);
    expect((await store().reserve(s, 1, 30)).outcome).toBe('locked');
    expect(await store().reserve(other, 1, 30)).toEqual({ outcome: 'place', failures: 0, inFlight: 1 });
    await store().reset(s);
    expect(await store().reserve(s, 1, 30)).toEqual({ outcome: 'place', failures: 0, inFlight: 1 });
  });

  it('keeps marks of locks under typed identifiers, per tenant, until cleared', async () => {
    const tenant = unique('t');
    expect(await store().identifierLockEnd(tenant, 'P:username:ann')).toBe(0);
    await store().markIdentifierLock(tenant, 'P:username:ann', 1_800_000_000_000, 60);
    await store().markIdentifierLock(tenant, 'P:username:bob', 1_800_000_000_001, 60);
    expect(await store().identifierLockEnd(tenant, 'P:username:ann')).toBe(1_800_000_000_000);
    expect(await store().identifierLockEnd(unique('t'), 'P:username:ann')).toBe(0);
    await store().clearIdentifierLocks(tenant, ['P:username:ann', 'P:username:bob']);
    await store().clearIdentifierLocks(tenant, []);
    expect(await store().identifierLockEnd(tenant, 'P:username:ann')).toBe(0);
    expect(await store().identifierLockEnd(tenant, 'P:username:bob')).toBe(0);
  });

  it('lets locks, failures, forgotten places and marks expire', async () => {
    const locked = subject();
    await store().reserve(locked, 1, 30);
    await store().fail(locked, 1, 1, 86400);
    const failing = subject();
    await store().reserve(failing, 5, 30);
    await store().fail(failing, 5, 60, 1);
    const abandoned = subject();
    await store().reserve(abandoned, 1, 1);
    const tenant = unique('t');
    await store().markIdentifierLock(tenant, 'x', 1, 1);
    expect((await store().reserve(abandoned, 1, 1)).outcome).toBe('busy');
    await opened().elapse(1100);
    expect(await store().reserve(locked, 1, 30)).toEqual({ outcome: 'place', failures: 0, inFlight: 1 });
    expect(await store().failures(failing)).toBe(0);
    expect(await store().reserve(abandoned, 1, 1)).toEqual({ outcome: 'place', failures: 0, inFlight: 1 });
    expect(await store().identifierLockEnd(tenant, 'x')).toBe(0);
  });
});
