// openKeyValueStore and REDIS_URL parsing.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/logger.js';
import { openKeyValueStore } from '../../src/storage/kv.js';
import { MemoryKeyValueStore } from '../../src/storage/memory/index.js';
import { parseRedisUrl, RedisKeyValueStore, RedisUrlError } from '../../src/storage/redis/index.js';

function fakeLogger() {
  const lines: { level: string; args: unknown[] }[] = [];
  const log =
    (level: string) =>
    (...args: unknown[]) =>
      void lines.push({ level, args });
  const logger = { warn: log('warn'), info: log('info'), error: log('error'), debug: log('debug') };
  return { logger: logger as unknown as Logger, lines };
}

describe('openKeyValueStore', () => {
  it('falls back to the in-process store and warns that state is per process', async () => {
    const { logger, lines } = fakeLogger();
    const store = await openKeyValueStore({ logger });
    expect(store).toBeInstanceOf(MemoryKeyValueStore);
    expect(store.shared).toBe(false);
    expect(lines.filter((l) => l.level === 'warn').map((l) => String(l.args.at(-1)))).toEqual([expect.stringMatching(/single instance/)]);
    await store.close();
  });

  it('opens Redis when a URL is given', async () => {
    const { logger } = fakeLogger();
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const store = await openKeyValueStore({ redisUrl: url, keyPrefix: `test:kv-open:${randomUUID()}:`, logger });
    try {
      expect(store).toBeInstanceOf(RedisKeyValueStore);
      expect(store.shared).toBe(true);
      expect(await store.setIfAbsent('k', 'v', 5)).toBe(true);
      await store.del('k');
    } finally {
      await store.close();
    }
  });

  it('fails fast and clearly when Redis is unreachable, without echoing the password', async () => {
    const { logger } = fakeLogger();
    const started = Date.now();
    const err = await openKeyValueStore({ redisUrl: 'redis://:s3cret@127.0.0.1:1', logger }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^cannot use Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect((err as Error).message).not.toContain('s3cret');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rejects an unknown scheme', async () => {
    const { logger } = fakeLogger();
    await expect(openKeyValueStore({ redisUrl: 'http://127.0.0.1:6379', logger })).rejects.toThrow(RedisUrlError);
  });
});

describe('parseRedisUrl', () => {
  it('passes single-node URLs through to ioredis', () => {
    expect(parseRedisUrl('redis://:pw@cache:6380/2')).toEqual({
      kind: 'single',
      url: 'redis://:pw@cache:6380/2',
      display: 'redis://cache:6380/2',
    });
    expect(parseRedisUrl('rediss://user:pw@cache.example.com')).toMatchObject({
      kind: 'single',
      display: 'rediss://cache.example.com',
    });
  });

  it('reads cluster seed nodes and credentials', () => {
    expect(parseRedisUrl('redis+cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2,[::1]:7002')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      tls: false,
      username: 'app',
      password: 'p@ss',
      display: 'redis+cluster://10.0.0.1:7000,10.0.0.2:6379,[::1]:7002',
    });
    expect(parseRedisUrl('rediss+cluster://:pw@a:1')).toMatchObject({ tls: true, username: undefined, password: 'pw' });
  });

  it('reads sentinels, master name, db and sentinel credentials', () => {
    expect(parseRedisUrl('redis+sentinel://:pw@s1:26379,s2/mymaster/3?sentinelUsername=sen&sentinelPassword=spw')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
      db: 3,
      tls: false,
      username: undefined,
      password: 'pw',
      sentinelUsername: 'sen',
      sentinelPassword: 'spw',
      display: 'redis+sentinel://s1:26379,s2:26379/mymaster/3',
    });
    expect(parseRedisUrl('REDISS+SENTINEL://s1/m')).toMatchObject({ kind: 'sentinel', tls: true, db: 0, name: 'm' });
  });

  it.each([
    ['', /expected redis/],
    ['localhost:6379', /expected redis/],
    ['redis+cluster://', /no host/],
    ['redis+cluster://a:1/0', /no path/],
    ['redis+cluster://a:1?foo=1', /unknown parameter/],
    ['redis+cluster://a:99999', /bad port/],
    ['redis+cluster://::1:7000', /IPv6/],
    ['redis+sentinel://s1:26379', /names the master/],
    ['redis+sentinel://s1/m/x', /bad db/],
    ['redis+sentinel://s1/m?password=x', /unknown parameter/],
  ])('rejects %j', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });
});
