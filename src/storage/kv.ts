// Opens the key-value store: Redis when REDIS_URL is set, otherwise the in-process store. Also
// holds the extension point for atomic multi-step operations (AtomicScripts), which both backends
// implement: Lua on Redis, a synchronous JavaScript twin in process. The domain never sees
// these: the stores under kv/ implement its ports with them.
import type { Logger } from '../logger.js';
import { MemoryKeyValueStore } from './memory/index.js';
import { openRedisStore } from './redis/index.js';

/**
 * A generic key-value store: Redis in production, in-process on the embedded default. Every
 * method is atomic on its own (single Redis commands or Lua), so callers never read-then-write.
 * The domain never sees it: its shared state goes through the ports of src/domain/ports.ts,
 * which src/storage/kv/ implements on this store.
 */
export interface KeyValueStore {
  /** False for the in-process store: state is not shared between instances. */
  readonly shared: boolean;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** SET NX: true when the key did not exist and is now set. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** GETDEL: the value, removed in the same step (one-time codes and tokens). */
  getDel(key: string): Promise<string | null>;
  /** INCR; the TTL is set when the increment creates the key. */
  incr(key: string, ttlSeconds: number): Promise<number>;
  del(...keys: string[]): Promise<void>;
  close(): Promise<void>;
}

/** What Lua returns through ioredis: integers, strings, nil (null) and arrays of those. */
export type ScriptResult = string | number | null | ScriptResult[];

/**
 * The keyspace as a script's in-process twin sees it. Keys are the caller's keys (the store adds
 * its prefix). Everything is synchronous, which is what makes the twin atomic.
 */
export interface ScriptKeyspace {
  get(key: string): string | null;
  /** Like SET: without ttlSeconds the key does not expire (and loses any TTL it had). */
  set(key: string, value: string, ttlSeconds?: number): void;
  /** True when the key existed. */
  del(key: string): boolean;
  /** Like INCRBY: a missing key counts as 0 and is created without TTL; throws on a non-integer. */
  incrBy(key: string, by: number): number;
  /** Like TTL: seconds left (rounded to the nearest), -1 without expiry, -2 when missing. */
  ttl(key: string): number;
  /** Like EXPIRE: true when the key exists and now expires in ttlSeconds. */
  expire(key: string, ttlSeconds: number): boolean;
}

/** One atomic operation, written twice: Lua for Redis and JavaScript for the in-process store. */
export interface ScriptDefinition<R extends ScriptResult = ScriptResult> {
  /** Unique per store; used in error messages. */
  name: string;
  /**
   * How many leading arguments are keys. They reach Lua as KEYS[1..numKeys], prefixed. On Redis
   * Cluster they must share a hash slot: put a hash tag in them, e.g. `lock:{user-id}:a`.
   */
  numKeys: number;
  /** Runs in Redis (EVALSHA, then EVAL when the script cache was flushed). ARGV are strings. */
  lua: string;
  /**
   * The same logic in JavaScript; it must return what the Lua returns through ioredis (Lua
   * numbers become integers, false becomes null, true becomes 1). Never await in it.
   */
  memory(kv: ScriptKeyspace, keys: string[], args: string[]): R;
}

/** Runs a defined script: `keys.length` must equal the definition's numKeys. */
export type AtomicScript<R extends ScriptResult = ScriptResult> = (keys: string[], args?: (string | number)[]) => Promise<R>;

export interface AtomicScripts {
  defineScript<R extends ScriptResult>(def: ScriptDefinition<R>): AtomicScript<R>;
  /**
   * Runs a script whose answer nobody waits for, and lets the store hold it back for up to
   * `maxDelayMs` so that it leaves with the store's next command rather than in a socket write
   * of its own. Only for updates whose delay errs on the safe side (giving back a lockout place).
   * Failures are logged, not thrown; close() sends what is held back.
   */
  runSoon(script: AtomicScript, keys: string[], args: (string | number)[], maxDelayMs: number): void;
}

/** A KeyValueStore that can also run atomic scripts. Both backends are one. */
export type ScriptableKeyValueStore = KeyValueStore & AtomicScripts;

export interface OpenKeyValueStoreOptions {
  redisUrl?: string;
  /** Prepended to every key, e.g. "signet:"; tests use a random one. */
  keyPrefix?: string;
  logger: Logger;
  /** The in-process store's clock (ms); Redis keeps its own time. */
  now?: () => number;
  /** Redis: how long a command may wait before it fails as `unavailable`. */
  commandTimeoutMs?: number;
}

/**
 * Redis when redisUrl is set (connected before this resolves; rejects with a clear error when
 * Redis cannot be reached), else the in-process store, with a warning that state is per process.
 */
export async function openKeyValueStore(opts: OpenKeyValueStoreOptions): Promise<ScriptableKeyValueStore> {
  if (opts.redisUrl) {
    return openRedisStore(opts.redisUrl, { keyPrefix: opts.keyPrefix, logger: opts.logger, commandTimeoutMs: opts.commandTimeoutMs });
  }
  opts.logger.warn(
    'REDIS_URL is not set: rate limits, one-time codes and other short-lived state are kept in this ' +
      'process only, so run a single instance (set REDIS_URL to run several)',
  );
  return new MemoryKeyValueStore({ keyPrefix: opts.keyPrefix, now: opts.now });
}
