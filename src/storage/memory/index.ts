// The in-process key-value store: the embedded default when REDIS_URL is not set. It mirrors the
// Redis store's semantics (same TTL rules, same errors) but its state belongs to one process.
//
// Atomicity comes from JavaScript running one callback at a time: every method reads and writes
// synchronously, with no await in between, so nothing can interleave. Keep it that way.
import type { KeyValueStore } from '../kv.js';
import type { AtomicScript, AtomicScripts, ScriptDefinition, ScriptKeyspace, ScriptResult } from '../kv.js';
import { assertScriptKeys, assertScriptName, assertTtl } from './validate.js';

export interface MemoryKeyValueStoreOptions {
  /** Prepended to every key (kept for parity with the Redis store). */
  keyPrefix?: string;
  /** How often expired entries are swept; lazy expiry handles reads in between. Default 10 s. */
  sweepIntervalMs?: number;
  /** Clock in milliseconds; tests may pass a fake one. */
  now?: () => number;
}

interface Entry {
  value: string;
  /** Epoch milliseconds; Infinity when the key does not expire (scripts only). */
  expiresAt: number;
}

/** Redis accepts exactly this as an integer for INCR (no sign +, no leading zeros, no spaces). */
const INTEGER = /^(?:0|-?[1-9][0-9]*)$/;
const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';

export class MemoryKeyValueStore implements KeyValueStore, AtomicScripts {
  readonly shared = false;
  private readonly data = new Map<string, Entry>();
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly scripts = new Map<string, string>();
  private readonly keyspace: ScriptKeyspace;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(opts: MemoryKeyValueStoreOptions = {}) {
    this.prefix = opts.keyPrefix ?? '';
    this.now = opts.now ?? Date.now;
    const interval = opts.sweepIntervalMs ?? 10_000;
    if (interval > 0) {
      this.sweeper = setInterval(() => this.sweep(), interval);
      this.sweeper.unref();
    }
    this.keyspace = this.makeKeyspace();
  }

  async get(key: string): Promise<string | null> {
    this.assertOpen();
    return this.live(this.prefix + key)?.value ?? null;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.assertOpen();
    assertTtl(ttlSeconds);
    this.write(this.prefix + key, value, ttlSeconds);
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    this.assertOpen();
    assertTtl(ttlSeconds);
    const k = this.prefix + key;
    if (this.live(k)) return false;
    this.write(k, value, ttlSeconds);
    return true;
  }

  async getDel(key: string): Promise<string | null> {
    this.assertOpen();
    const k = this.prefix + key;
    const entry = this.live(k);
    if (!entry) return null;
    this.data.delete(k);
    return entry.value;
  }

  async incr(key: string, ttlSeconds: number): Promise<number> {
    this.assertOpen();
    assertTtl(ttlSeconds);
    const k = this.prefix + key;
    const next = this.incrBy(k, 1);
    const entry = this.data.get(k)!;
    // Same rule as the Redis script: the TTL is set only on a key that has none, i.e. when this
    // increment created it. Later increments never extend it.
    if (entry.expiresAt === Infinity) entry.expiresAt = this.now() + ttlSeconds * 1000;
    return next;
  }

  async del(...keys: string[]): Promise<void> {
    this.assertOpen();
    for (const key of keys) this.data.delete(this.prefix + key);
  }

  defineScript<R extends ScriptResult>(def: ScriptDefinition<R>): AtomicScript<R> {
    assertScriptName(this.scripts, def);
    return async (keys, args = []) => {
      this.assertOpen();
      assertScriptKeys(def, keys);
      return def.memory(this.keyspace, keys, args.map(String));
    };
  }

  /** Nothing to save here: no socket write to share. */
  runSoon(script: AtomicScript, keys: string[], args: (string | number)[]): void {
    script(keys, args).catch(() => undefined);
  }

  /** Drops expired entries now; returns how many. Runs on a timer too. */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const [k, entry] of this.data) {
      if (entry.expiresAt <= now) {
        this.data.delete(k);
        removed++;
      }
    }
    return removed;
  }

  /** Live entries (after a sweep). */
  get size(): number {
    this.sweep();
    return this.data.size;
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.closed = true;
    this.data.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the key-value store is closed');
  }

  /** The entry when present and not expired; an expired one is deleted on the way. */
  private live(k: string): Entry | undefined {
    const entry = this.data.get(k);
    if (entry && entry.expiresAt <= this.now()) {
      this.data.delete(k);
      return undefined;
    }
    return entry;
  }

  private write(k: string, value: string, ttlSeconds?: number): void {
    const expiresAt = ttlSeconds === undefined ? Infinity : this.now() + ttlSeconds * 1000;
    this.data.set(k, { value: String(value), expiresAt });
  }

  private incrBy(k: string, by: number): number {
    if (!Number.isSafeInteger(by)) throw new Error(NOT_AN_INTEGER);
    const entry = this.live(k);
    const current = entry ? parseInteger(entry.value) : 0;
    const next = current + by;
    if (!Number.isSafeInteger(next)) throw new Error('ERR increment or decrement would overflow');
    if (entry) entry.value = String(next);
    else this.data.set(k, { value: String(next), expiresAt: Infinity });
    return next;
  }

  private makeKeyspace(): ScriptKeyspace {
    const p = (key: string) => this.prefix + key;
    return {
      get: (key) => this.live(p(key))?.value ?? null,
      set: (key, value, ttlSeconds) => {
        if (ttlSeconds !== undefined) assertTtl(ttlSeconds);
        this.write(p(key), value, ttlSeconds);
      },
      del: (key) => this.live(p(key)) !== undefined && this.data.delete(p(key)),
      incrBy: (key, by) => this.incrBy(p(key), by),
      ttl: (key) => {
        const entry = this.live(p(key));
        if (!entry) return -2;
        if (entry.expiresAt === Infinity) return -1;
        return Math.floor((entry.expiresAt - this.now() + 500) / 1000);
      },
      expire: (key, ttlSeconds) => {
        assertTtl(ttlSeconds);
        const entry = this.live(p(key));
        if (!entry) return false;
        entry.expiresAt = this.now() + ttlSeconds * 1000;
        return true;
      },
    };
  }
}

function parseInteger(value: string): number {
  if (!INTEGER.test(value)) throw new Error(NOT_AN_INTEGER);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(NOT_AN_INTEGER);
  return n;
}
