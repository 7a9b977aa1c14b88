import { describe, expect, it } from 'vitest';
import { normalizeUserCode, USER_CODE_ALPHABET } from '../../src/domain/tokens/device.js';
import { fakeDeps } from '../helpers/fakes.js';
import { FakeClock } from '../helpers/clock.js';

describe('device user codes', () => {
  it('reads a code whatever its case, hyphens and spaces', () => {
    expect(normalizeUserCode('bcdf-ghjk')).toBe('BCDFGHJK');
    expect(normalizeUserCode(' BCDF GHJK ')).toBe('BCDFGHJK');
    expect(normalizeUserCode('BCDFGHJK')).toBe('BCDFGHJK');
  });

  it('refuses anything that cannot be a code: other letters, digits, another length', () => {
    expect(normalizeUserCode('ABCD-EFGH')).toBe('');
    expect(normalizeUserCode('BCDF-GHJ1')).toBe('');
    expect(normalizeUserCode('BCDF-GHJ')).toBe('');
    expect(normalizeUserCode('')).toBe('');
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY0-9]/);
  });
});

describe('device polling pace (in-process twin of the script)', () => {
  it('answers slow_down when polled within the interval, growing it by the step each time', async () => {
    const clock = new FakeClock();
    const deps = await fakeDeps({}, clock);
    const poll = () => deps.stores.devices.poll('d', clock.now(), 5, 5, 600);
    expect(await poll()).toEqual({ slowDown: false, interval: 5 });
    clock.advance(4_999);
    expect(await poll()).toEqual({ slowDown: true, interval: 10 });
    clock.advance(9_999);
    expect(await poll()).toEqual({ slowDown: true, interval: 15 });
    clock.advance(15_000);
    expect(await poll()).toEqual({ slowDown: false, interval: 15 });
  });

  it('lets the first decision win and redeems it once', async () => {
    const deps = await fakeDeps();
    const store = deps.stores.devices;
    await store.create('d', 'u', '{}', 60);
    expect(await store.deviceOf('u')).toBe('d');
    expect(await store.decide('d', 'u', 'approved', 60)).toBe(true);
    expect(await store.deviceOf('u')).toBeNull();
    expect(await store.decide('d', 'u', 'denied', 60)).toBe(false);
    expect(await store.redeem('d')).toBe('approved');
    expect(await store.redeem('d')).toBeNull();
    expect(await store.request('d')).toBeNull();
  });
});
