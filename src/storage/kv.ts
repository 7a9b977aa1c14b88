// Opens the key-value store: Redis when REDIS_URL is set, otherwise the in-process store. Also
// holds the extension point for atomic multi-step operations (AtomicScripts), which both backends
// implement: Lua on Redis, a synchronous JavaScript twin in process.
import type { KeyValueStore } from '../domain/ports.js';
import type { Logger } from '../logger.js';
import { MemoryKeyValueStore } from './memory/index.js';
import { openRedisStore } from './redis/index.js';

export type {
  ScriptResult, ScriptKeyspace, ScriptDefinition, AtomicScript, AtomicScripts, ScriptableKeyValueStore,
} from '../domain/ports.js';
import type { ScriptableKeyValueStore } from '../domain/ports.js';

export interface OpenKeyValueStoreOptions {
  redisUrl?: string;
  /** Prepended to every key, e.g. "signet:"; tests use a random one. */
  keyPrefix?: string;
  logger: Logger;
}

/**
 * Redis when redisUrl is set (connected before this resolves; rejects with a clear error when
 * Redis cannot be reached), else the in-process store, with a warning that state is per process.
 */
export async function openKeyValueStore(opts: OpenKeyValueStoreOptions): Promise<ScriptableKeyValueStore> {
  if (opts.redisUrl) {
    return openRedisStore(opts.redisUrl, { keyPrefix: opts.keyPrefix, logger: opts.logger });
  }
  opts.logger.warn(
    'REDIS_URL is not set: rate limits, one-time codes and other short-lived state are kept in this ' +
      'process only, so run a single instance (set REDIS_URL to run several)',
  );
  return new MemoryKeyValueStore({ keyPrefix: opts.keyPrefix });
}
