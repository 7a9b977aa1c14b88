// The backends every shared-state port's contract suite runs against: the in-process store (on a
// FakeClock), Redis (REDIS_URL, default redis://127.0.0.1:6379) and, when REDIS_CLUSTER_URL is
// set (redis+cluster://…), Redis Cluster. Each run uses a random key prefix and deletes its keys.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Cluster, Redis } from 'ioredis';
import type { SharedStores } from '../../src/domain/ports.js';
import type { ScriptableKeyValueStore } from '../../src/storage/kv.js';
import { sharedStores } from '../../src/storage/kv/index.js';
import { MemoryKeyValueStore } from '../../src/storage/memory/index.js';
import { connectRedis, RedisKeyValueStore } from '../../src/storage/redis/index.js';
import { FakeClock } from './clock.js';

export interface OpenedStores {
  kv: ScriptableKeyValueStore;
  stores: SharedStores;
  /** Lets `ms` pass: moves the fake clock, or waits where the store keeps its own time (Redis). */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

interface StoreBackend {
  name: string;
  skip: boolean;
  open(): Promise<OpenedStores>;
}

const memory: StoreBackend = {
  name: 'memory',
  skip: false,
  async open() {
    const clock = new FakeClock();
    const kv = new MemoryKeyValueStore({ keyPrefix: `test:stores:${randomUUID()}:`, sweepIntervalMs: 0, now: () => clock.now() });
    return { kv, stores: sharedStores(kv), elapse: async (ms) => clock.advance(ms), close: () => kv.close() };
  },
};

function redis(name: string, url: string | undefined): StoreBackend {
  return {
    name,
    skip: !url,
    async open() {
      const prefix = `test:stores:${randomUUID()}:`;
      const client = await connectRedis(url!);
      const kv = new RedisKeyValueStore(client, { keyPrefix: prefix, ownsClient: false });
      return {
        kv,
        stores: sharedStores(kv),
        elapse: (ms) => sleep(ms),
        async close() {
          await kv.close();
          expect(await deleteByPrefix(client, prefix)).toBe(0);
          client.disconnect();
        },
      };
    },
  };
}

export const STORE_BACKENDS: StoreBackend[] = [
  memory,
  redis('redis', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
  redis('redis cluster', process.env.REDIS_CLUSTER_URL),
];

/** Deletes every key under prefix (on every master of a cluster); returns how many remain. */
export async function deleteByPrefix(client: Redis | Cluster, prefix: string): Promise<number> {
  const nodes: Redis[] = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  let remaining = 0;
  for (const node of nodes) {
    for await (const keys of node.scanStream({ match: `${prefix}*`, count: 500 })) {
      for (const key of keys as string[]) await node.del(key);
    }
    for await (const keys of node.scanStream({ match: `${prefix}*`, count: 500 })) remaining += keys.length;
  }
  return remaining;
}

/** Declares `body` once per backend (skipped where the backend is not configured). */
export function describeStores(title: string, body: (opened: () => OpenedStores) => void): void {
  for (const backend of STORE_BACKENDS) {
    describe.skipIf(backend.skip)(`${title}: ${backend.name}`, () => {
      let opened: OpenedStores | undefined;
      beforeAll(async () => {
        opened = await backend.open();
      });
      afterAll(async () => {
        await opened?.close();
      });
      body(() => opened!);
    });
  }
}

let n = 0;
/** A name no other test of the run uses. */
export const unique = (label: string) => `${label}-${++n}-${randomUUID().slice(0, 8)}`;
