// The KeyValueStore contract, run against every backend: the in-process store and a real Redis
// (REDIS_URL, default redis://127.0.0.1:6379). Set REDIS_CLUSTER_URL (redis+cluster://…) or
// REDIS_SENTINEL_URL (redis+sentinel://…/name) to run it against those deployments too.
// Each run uses a random key prefix and deletes its keys afterwards.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ScriptableKeyValueStore, ScriptDefinition } from '../../src/storage/kv.js';
import { MemoryKeyValueStore } from '../../src/storage/memory/index.js';
import { connectRedis, RedisKeyValueStore } from '../../src/storage/redis/index.js';
import { FakeClock } from '../helpers/clock.js';
import { deleteByPrefix } from '../helpers/stores.js';

interface Backend {
  name: string;
  shared: boolean;
  open(prefix: string): Promise<ScriptableKeyValueStore>;
  /** A store of its own for a test that lets time pass (the tests of a backend run concurrently). */
  timed(prefix: string): Promise<TimedStore>;
  cleanup(prefix: string): Promise<void>;
}

interface TimedStore {
  store: ScriptableKeyValueStore;
  /**
   * Lets `ms` pass for the store's keys, so that a key with TTL left is not expired by a slow
   * machine before the test looks at it. The in-process store: its fake clock moves. Redis
   * expires keys on its own clock, which nothing here moves: the TTLs of `keys` are shortened
   * by `ms` instead (a key whose TTL runs out is deleted), exactly as if `ms` had passed.
   */
  age(ms: number, keys: string[]): Promise<void>;
  /**
   * Waits until keys whose TTL is at most `ms` are gone. The in-process store: its clock moves.
   * Redis: a real wait, since Redis must expire them itself; a wait is never shorter than asked,
   * so this is exact however busy the machine.
   */
  expire(ms: number): Promise<void>;
}

/** Shortens a key's TTL by ARGV[1] ms, deleting it when none is left (Redis only). */
const AGE: ScriptDefinition<number> = {
  name: 'test.age',
  numKeys: 1,
  lua: `local t = redis.call('PTTL', KEYS[1])
if t <= 0 then return 0 end
if t - tonumber(ARGV[1]) <= 0 then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], t - tonumber(ARGV[1]))`,
  memory: () => {
    throw new Error('the in-process store moves its clock instead');
  },
};

const memory: Backend = {
  name: 'memory',
  shared: false,
  open: async (prefix) => new MemoryKeyValueStore({ keyPrefix: prefix }),
  timed: async (prefix) => {
    const clock = new FakeClock();
    const store = new MemoryKeyValueStore({ keyPrefix: prefix, sweepIntervalMs: 0, now: () => clock.now() });
    return { store, age: async (ms) => clock.advance(ms), expire: async (ms) => clock.advance(ms) };
  },
  cleanup: async () => {},
};

function redisBackend(name: string, url: string): Backend {
  return {
    name,
    shared: true,
    open: async (prefix) => new RedisKeyValueStore(await connectRedis(url), { keyPrefix: prefix }),
    timed: async (prefix) => {
      const store = new RedisKeyValueStore(await connectRedis(url), { keyPrefix: prefix });
      const age = store.defineScript(AGE);
      return {
        store,
        age: async (ms, keys) => {
          for (const k of keys) await age([k], [ms]);
        },
        expire: (ms) => sleep(ms),
      };
    },
    cleanup: async (prefix) => {
      const client = await connectRedis(url);
      try {
        const left = await deleteByPrefix(client, prefix);
        expect(left).toBe(0);
      } finally {
        client.disconnect();
      }
    },
  };
}

const backends: Backend[] = [memory, redisBackend('redis', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')];
if (process.env.REDIS_CLUSTER_URL) backends.push(redisBackend('redis cluster', process.env.REDIS_CLUSTER_URL));
if (process.env.REDIS_SENTINEL_URL) backends.push(redisBackend('redis sentinel', process.env.REDIS_SENTINEL_URL));

/** TTL in seconds as Redis reports it; doubles as a test of defineScript. */
const TTL: ScriptDefinition<number> = {
  name: 'test.ttl',
  numKeys: 1,
  lua: "return redis.call('TTL', KEYS[1])",
  memory: (kv, [key]) => kv.ttl(key),
};

describe.concurrent.each(backends)('KeyValueStore contract: $name', (backend) => {
  const prefix = `test:kv:${randomUUID()}:`;
  let store: ScriptableKeyValueStore;
  let ttl: (key: string) => Promise<number>;
  let n = 0;
  const key = (label: string) => `${label}:${++n}`;

  beforeAll(async () => {
    store = await backend.open(prefix);
    const run = store.defineScript(TTL);
    ttl = (k) => run([k]);
  });
  afterAll(async () => {
    await store?.close();
    await backend.cleanup(prefix);
  });

  it('says whether its state is shared', () => {
    expect(store.shared).toBe(backend.shared);
  });

  it('get / set: missing is null; set overwrites value and TTL', async () => {
    const k = key('set');
    expect(await store.get(k)).toBeNull();
    await store.set(k, 'one', 1);
    expect(await store.get(k)).toBe('one');
    await store.set(k, 'two', 60);
    expect(await store.get(k)).toBe('two');
    expect(await ttl(k)).toBeGreaterThan(50);
    await store.set(k, '', 60);
    expect(await store.get(k)).toBe('');
  });

  it('keeps unicode and long values intact', async () => {
    const k = key('unicode');
    const value = `签名 ✓ ${'x'.repeat(10_000)}`;
    await store.set(k, value, 60);
    expect(await store.get(k)).toBe(value);
  });

  it('setIfAbsent: sets once, then leaves the value alone', async () => {
    const k = key('nx');
    expect(await store.setIfAbsent(k, 'first', 60)).toBe(true);
    expect(await store.setIfAbsent(k, 'second', 60)).toBe(false);
    expect(await store.get(k)).toBe('first');
  });

  it('getDel: returns the value once and removes it', async () => {
    const k = key('getdel');
    expect(await store.getDel(k)).toBeNull();
    await store.set(k, 'code', 60);
    expect(await store.getDel(k)).toBe('code');
    expect(await store.getDel(k)).toBeNull();
    expect(await store.get(k)).toBeNull();
  });

  it('incr: counts from 1, sets the TTL on creation, continues a numeric value', async () => {
    const k = key('incr');
    expect(await store.incr(k, 60)).toBe(1);
    expect(await store.incr(k, 60)).toBe(2);
    expect(await store.get(k)).toBe('2');
    expect(await ttl(k)).toBeGreaterThan(50);

    const numeric = key('incr-numeric');
    await store.set(numeric, '41', 30);
    expect(await store.incr(numeric, 600)).toBe(42);
    expect(await ttl(numeric)).toBeLessThanOrEqual(30); // the SET's TTL stays
  });

  it('incr rejects a value that is not an integer', async () => {
    for (const bad of ['abc', '1.5', '01', ' 1', '']) {
      const k = key('incr-bad');
      await store.set(k, bad, 60);
      await expect(store.incr(k, 60)).rejects.toThrow(/not an integer/);
      expect(await store.get(k)).toBe(bad);
    }
  });

  it('del: any number of keys, missing ones included', async () => {
    const [a, b, c] = [key('del'), key('del'), key('del')];
    await store.set(a, '1', 60);
    await store.set(b, '2', 60);
    await store.set(c, '3', 60);
    await store.del();
    await store.del(a, b, key('del-missing'));
    expect(await store.get(a)).toBeNull();
    expect(await store.get(b)).toBeNull();
    expect(await store.get(c)).toBe('3');
    await store.del(c);
    expect(await store.get(c)).toBeNull();
  });

  it('rejects a TTL that is not a positive whole number of seconds', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(store.set(key('ttl'), 'v', bad)).rejects.toThrow(RangeError);
      await expect(store.setIfAbsent(key('ttl'), 'v', bad)).rejects.toThrow(RangeError);
      await expect(store.incr(key('ttl'), bad)).rejects.toThrow(RangeError);
    }
  });

  /** Runs `body` on a store of its own that lets time pass (see TimedStore). */
  async function withTime(body: (t: TimedStore & { ttl: (key: string) => Promise<number> }) => Promise<void>) {
    const t = await backend.timed(prefix);
    const run = t.store.defineScript(TTL);
    try {
      await body({ ...t, ttl: (k) => run([k]) });
    } finally {
      await t.store.close();
    }
  }

  it('expires keys after their TTL, for every method', () =>
    withTime(async ({ store, expire }) => {
      const [s, nx, gd, inc] = [key('exp'), key('exp'), key('exp'), key('exp')];
      await store.set(s, 'v', 1);
      await store.setIfAbsent(nx, 'v', 1);
      await store.set(gd, 'v', 1);
      await store.incr(inc, 1);
      await expire(1200);
      expect(await store.get(s)).toBeNull();
      expect(await store.setIfAbsent(nx, 'again', 60)).toBe(true);
      expect(await store.get(nx)).toBe('again');
      expect(await store.getDel(gd)).toBeNull();
      expect(await store.incr(inc, 60)).toBe(1);
    }));

  it('incr does not extend the TTL', () =>
    withTime(async ({ store, age, expire, ttl }) => {
      const k = key('incr-ttl');
      expect(await store.incr(k, 2)).toBe(1);
      await age(1100, [k]);
      expect(await store.incr(k, 100)).toBe(2);
      expect(await ttl(k)).toBeLessThanOrEqual(1);
      await expire(1100);
      expect(await store.get(k)).toBeNull();
    }));

  it('race: 100 parallel setIfAbsent, exactly one wins', async () => {
    const k = key('race-nx');
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.setIfAbsent(k, `v${i}`, 60)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.get(k)).toBe(`v${results.indexOf(true)}`);
  });

  it('race: 500 parallel incr count to 500; the TTL is set once and not extended', () =>
    withTime(async ({ store, age, expire, ttl }) => {
      const k = key('race-incr');
      const results = await Promise.all(Array.from({ length: 500 }, () => store.incr(k, 2)));
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
      expect(await store.get(k)).toBe('500');
      const first = await ttl(k);
      expect(first).toBeGreaterThanOrEqual(1);
      expect(first).toBeLessThanOrEqual(2);
      await age(1100, [k]);
      expect(await Promise.all(Array.from({ length: 50 }, () => store.incr(k, 100)))).toHaveLength(50);
      expect(await store.get(k)).toBe('550');
      expect(await ttl(k)).toBeLessThanOrEqual(1);
      await expire(1100);
      expect(await store.get(k)).toBeNull();
    }));

  it('race: parallel getDel, exactly one gets the value', async () => {
    const k = key('race-getdel');
    await store.set(k, 'one-time', 60);
    const results = await Promise.all(Array.from({ length: 50 }, () => store.getDel(k)));
    expect(results.filter((r) => r !== null)).toEqual(['one-time']);
  });

  it('keeps key prefixes apart', async () => {
    const other = await backend.open(`${prefix}other:`);
    try {
      const k = key('prefix');
      await store.set(k, 'mine', 60);
      expect(await other.get(k)).toBeNull();
      expect(await other.setIfAbsent(k, 'theirs', 60)).toBe(true);
      expect(await store.get(k)).toBe('mine');
    } finally {
      await other.close();
    }
  });

  describe('defineScript', () => {
    const compareAndDelete: ScriptDefinition<number> = {
      name: 'test.compare-and-delete',
      numKeys: 1,
      lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
      memory: (kv, [k], [expected]) => (kv.get(k) === expected && kv.del(k) ? 1 : 0),
    };
    const hit: ScriptDefinition<[number, number]> = {
      name: 'test.hit',
      numKeys: 2,
      // A fresh text each run, so the first EVALSHA misses and the EVAL fallback runs.
      lua: `-- ${randomUUID()}
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
redis.call('SET', KEYS[2], n)
return {n, redis.call('TTL', KEYS[1])}`,
      memory: (kv, [counter, last], [ttlSeconds, by]) => {
        const count = kv.incrBy(counter, Number(by));
        if (count === Number(by)) kv.expire(counter, Number(ttlSeconds));
        kv.set(last, String(count));
        return [count, kv.ttl(counter)];
      },
    };

    it('runs a script atomically with the store prefix applied', async () => {
      const run = store.defineScript(compareAndDelete);
      const k = key('cad');
      await store.set(k, 'owner-a', 60);
      expect(await run([k], ['owner-b'])).toBe(0);
      expect(await store.get(k)).toBe('owner-a');
      expect(await run([k], ['owner-a'])).toBe(1);
      expect(await store.get(k)).toBeNull();
      expect(await run([k], ['owner-a'])).toBe(0);
    });

    it('passes several keys and number arguments, returns arrays', async () => {
      const run = store.defineScript(hit);
      // One hash tag, so both keys share a slot on a cluster.
      const tag = `{${key('hit')}}`;
      expect(await run([`${tag}:count`, `${tag}:last`], [60, 2])).toEqual([2, 60]);
      expect(await run([`${tag}:count`, `${tag}:last`], [60, 3])).toEqual([5, 60]);
      expect(await store.get(`${tag}:last`)).toBe('5');
      const results = await Promise.all(Array.from({ length: 100 }, () => run([`${tag}:count`, `${tag}:last`], [60, 1])));
      expect(new Set(results.map(([count]) => count)).size).toBe(100);
      expect(await store.get(`${tag}:count`)).toBe('105');
    });

    it('checks the key count and refuses a conflicting redefinition', async () => {
      const run = store.defineScript(compareAndDelete);
      await expect(run([], ['x'])).rejects.toThrow(RangeError);
      expect(() => store.defineScript({ ...compareAndDelete, lua: 'return 1' })).toThrow(RangeError);
    });
  });

  it('runSoon: a held script is applied before the next command, alone after its delay, and on close', async () => {
    const bump = store.defineScript<number>({
      name: 'test.bump',
      numKeys: 1,
      lua: "return redis.call('INCR', KEYS[1])",
      memory: (kv, [k]) => kv.incrBy(k, 1),
    });
    // Once directly, so that Redis caches it: a first EVALSHA misses, and its EVAL retry would
    // leave after the read below.
    await bump([key('warm')]);
    const k1 = key('soon');
    store.runSoon(bump, [k1], [], 60_000);
    // Sent with this read, ahead of it, on the same connection: the read sees it.
    expect(await store.get(k1)).toBe('1');
    if (!backend.shared) return;
    // Nothing else to ride with: the timer sends it alone. Read through another connection.
    const other = await backend.open(prefix);
    try {
      const k2 = key('soon');
      store.runSoon(bump, [k2], [], 50);
      // Nothing on `store` sends it: only its timer can. Polled, not slept: on a busy machine the
      // timer and the write it makes may take longer than any fixed wait.
      await vi.waitFor(async () => expect(await other.get(k2)).toBe('1'), { timeout: 10_000, interval: 50 });
      const k3 = key('soon');
      const closing = await backend.open(prefix);
      closing.runSoon(bump, [k3], [], 60_000);
      await closing.close();
      expect(await other.get(k3)).toBe('1');
    } finally {
      await other.close();
    }
  });

  it('close: later calls fail', async () => {
    const other = await backend.open(prefix);
    await other.close();
    await other.close();
    await expect(other.get(key('closed'))).rejects.toThrow();
  });
});
