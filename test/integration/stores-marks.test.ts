// The RevocationMarks and ReplayMemory contracts (src/domain/ports.ts), on every backend.
import { expect, it } from 'vitest';
import { describeStores, unique } from '../helpers/stores.js';

describeStores('RevocationMarks contract', (opened) => {
  const marks = () => opened().stores.revocations;

  it('marks sessions revoked until the marks expire', async () => {
    const [a, b, c] = [unique('sid'), unique('sid'), unique('sid')];
    await marks().mark([a, b], 1);
    await marks().mark([], 1);
    expect(await Promise.all([a, b, c].map((s) => marks().isRevoked(s)))).toEqual([true, true, false]);
    await marks().mark([c], 60);
    await opened().elapse(1100);
    expect(await Promise.all([a, b, c].map((s) => marks().isRevoked(s)))).toEqual([false, false, true]);
  });
});

describeStores('ReplayMemory contract', (opened) => {
  const memory = () => opened().stores.replays;

  it('tells for each digest whether it is new, remembering it either way', async () => {
    const [a, b] = [unique('d'), unique('d')];
    expect(await memory().rememberNew([a], 60)).toEqual([true]);
    expect(await memory().rememberNew([a, b], 60)).toEqual([false, true]);
    expect(await memory().rememberNew([b, a], 60)).toEqual([false, false]);
    expect(await memory().rememberNew([], 60)).toEqual([]);
  });

  it('lets exactly one of many parallel first uses be new', async () => {
    const d = unique('d');
    const answers = await Promise.all(Array.from({ length: 10 }, () => memory().rememberNew([d], 60)));
    expect(answers.filter(([fresh]) => fresh)).toHaveLength(1);
  });

  it('forgets on demand and after the TTL', async () => {
    const [a, b, c] = [unique('d'), unique('d'), unique('d')];
    await memory().rememberNew([a, b, c], 1);
    await memory().forget([a]);
    await memory().forget([]);
    expect(await memory().rememberNew([a], 60)).toEqual([true]);
    await opened().elapse(1100);
    expect(await memory().rememberNew([b, c, a], 60)).toEqual([true, true, false]);
  });
});
