// The RateCounters contract (src/domain/ports.ts), on every backend.
import { expect, it } from 'vitest';
import { describeStores, unique } from '../helpers/stores.js';

describeStores('RateCounters contract', (opened) => {
  const counters = () => opened().stores.counters;

  it('counts hits per kind, id and window, and reads a count without adding to it', async () => {
    const id = unique('ip');
    expect(await counters().count('rl:ip', id, 7)).toBe(0);
    expect(await counters().hit('rl:ip', id, 7, 60)).toBe(1);
    expect(await counters().hit('rl:ip', id, 7, 60)).toBe(2);
    expect(await counters().count('rl:ip', id, 7)).toBe(2);
    expect(await counters().count('rl:ip', id, 8)).toBe(0);
    expect(await counters().count('rl:client', id, 7)).toBe(0);
    expect(await counters().count('rl:ip', unique('ip'), 7)).toBe(0);
  });

  it('counts every one of many parallel hits exactly once', async () => {
    const id = unique('ip');
    const counts = await Promise.all(Array.from({ length: 200 }, () => counters().hit('ipf', id, 1, 60)));
    expect(new Set(counts).size).toBe(200);
    expect(Math.max(...counts)).toBe(200);
  });

  // That a later hit does not extend the TTL is the store's incr contract (kv.test.ts).
  it('forgets a window once its TTL has passed', async () => {
    const id = unique('ip');
    await counters().hit('rl:ip', id, 1, 1);
    await opened().elapse(1100);
    expect(await counters().count('rl:ip', id, 1)).toBe(0);
  });
});
