// RateCounters over the key-value store: one INCR per hit, the TTL set by the INCR that creates
// the window's key, so a window's count never outlives it. The id sits in a hash tag: on Redis
// Cluster one caller's counters of every window share a slot.
import type { RateCounters } from '../../domain/ports.js';
import type { KeyValueStore } from '../kv.js';

const key = (kind: string, id: string, window: number) => `${kind}:{${id}}:${window}`;

export class KvRateCounters implements RateCounters {
  constructor(private readonly kv: KeyValueStore) {}

  hit(kind: string, id: string, window: number, ttlSeconds: number): Promise<number> {
    return this.kv.incr(key(kind, id, window), ttlSeconds);
  }

  async count(kind: string, id: string, window: number): Promise<number> {
    return Number((await this.kv.get(key(kind, id, window))) ?? 0);
  }
}
