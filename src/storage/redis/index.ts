// The Redis key-value store (ioredis): one node, Redis Cluster or Sentinel, chosen by the
// REDIS_URL scheme (see url.ts). Every method is one Redis command or one Lua script, so it is
// atomic however many Signet instances share the Redis. Requires Redis 6.2+ (GETDEL).
//
// While Redis is away, every command fails at once (no offline queue) or within the command
// timeout, as `unavailable` (../unavailable.ts): nothing that depends on Redis, a rate limit or a
// lockout first of all, is ever decided without it. ioredis reconnects every second at most.
import { createHash } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { KeyValueStore } from '../kv.js';
import type { Logger } from '../../logger.js';
import type { AtomicScript, AtomicScripts, ScriptDefinition, ScriptResult } from '../kv.js';
import { assertScriptKeys, assertScriptName, assertTtl } from '../memory/validate.js';
import { classify, causes, SOCKET_CODES } from '../unavailable.js';
import { parseRedisUrl, type RedisTarget } from './url.js';

export { parseRedisUrl, RedisUrlError, type RedisTarget, type HostPort } from './url.js';

export type RedisClient = Redis | Cluster;

export interface ConnectRedisOptions {
  logger?: Logger;
  /** Per connection attempt; the first connection fails after it. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** How long a command may wait for its answer at most; then it fails as `unavailable`. Default 2000 ms. */
  commandTimeoutMs?: number;
}

export interface RedisKeyValueStoreOptions {
  keyPrefix?: string;
  /** Quit the client on close(). Default true. */
  ownsClient?: boolean;
  /** Where failures of held-back scripts (runSoon) are reported. */
  logger?: Logger;
}

/** Redis's own rules, mirrored by the in-process store: INCR sets the TTL only on creation. */
const INCR_LUA = `local v = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return v`;

const MIN_VERSION = [6, 2] as const;

export class RedisKeyValueStore implements KeyValueStore, AtomicScripts {
  readonly shared = true;
  private readonly prefix: string;
  private readonly ownsClient: boolean;
  private readonly scripts = new Map<string, string>();
  private readonly incrScript: (keys: string[], args: (string | number)[]) => Promise<unknown>;
  private closing: Promise<void> | undefined;
  private readonly logger: Logger | undefined;
  /** Scripts held back by runSoon, and when the oldest must leave at the latest. */
  private held: Array<() => Promise<unknown>> = [];
  private heldTimer: NodeJS.Timeout | undefined;
  private heldDeadline = Infinity;

  constructor(
    readonly client: RedisClient,
    opts: RedisKeyValueStoreOptions = {},
  ) {
    this.prefix = opts.keyPrefix ?? '';
    this.ownsClient = opts.ownsClient ?? true;
    this.logger = opts.logger;
    this.incrScript = this.scriptRunner(INCR_LUA);
  }

  async get(key: string): Promise<string | null> {
    this.sendHeld();
    return this.command(this.client.get(this.prefix + key));
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    assertTtl(ttlSeconds);
    this.sendHeld();
    await this.command(this.client.set(this.prefix + key, value, 'EX', ttlSeconds));
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    assertTtl(ttlSeconds);
    this.sendHeld();
    return (await this.command(this.client.set(this.prefix + key, value, 'EX', ttlSeconds, 'NX'))) === 'OK';
  }

  async getDel(key: string): Promise<string | null> {
    this.sendHeld();
    return this.command(this.client.getdel(this.prefix + key));
  }

  async incr(key: string, ttlSeconds: number): Promise<number> {
    assertTtl(ttlSeconds);
    return Number(await this.incrScript([key], [ttlSeconds]));
  }

  async del(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    this.sendHeld();
    const full = keys.map((k) => this.prefix + k);
    // One DEL may not span hash slots on a cluster; there each key goes to its own node.
    if (this.client.isCluster) await this.command(Promise.all(full.map((k) => this.client.del(k))));
    else await this.command(this.client.del(...full));
  }

  /** A command's failure, classified: Redis away is `unavailable`; a wrong command stays a bug. */
  private command<T>(p: Promise<T>): Promise<T> {
    return p.catch((err: unknown) => classify('redis', isRedisDown, err));
  }

  defineScript<R extends ScriptResult>(def: ScriptDefinition<R>): AtomicScript<R> {
    assertScriptName(this.scripts, def);
    const run = this.scriptRunner(def.lua);
    return async (keys, args = []) => {
      assertScriptKeys(def, keys);
      return (await run(keys, args)) as R;
    };
  }

  /**
   * ioredis sends the commands of one event-loop turn in one write (auto-pipelining), so a held
   * script issued just before another command shares that command's write. Each loopback write
   * costs far more than a command (the kernel wakes Redis on the writer's time), so under load
   * this takes a write off every successful sign-in; when idle, the timer sends it alone.
   */
  runSoon(script: AtomicScript, keys: string[], args: (string | number)[], maxDelayMs: number): void {
    this.held.push(() => script(keys, args));
    const deadline = Date.now() + maxDelayMs;
    if (deadline >= this.heldDeadline) return;
    this.heldDeadline = deadline;
    clearTimeout(this.heldTimer);
    this.heldTimer = setTimeout(() => this.sendHeld(), maxDelayMs);
  }

  private sendHeld(): Promise<unknown> | undefined {
    if (this.held.length === 0) return undefined;
    const held = this.held;
    this.held = [];
    clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    this.heldDeadline = Infinity;
    return Promise.all(
      held.map((run) =>
        run().catch((err: unknown) => {
          this.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'held-back Redis script failed');
        }),
      ),
    );
  }

  async close(): Promise<void> {
    await this.sendHeld();
    if (!this.ownsClient) return;
    this.closing ??= this.client.quit().then(
      () => undefined,
      () => this.client.disconnect(),
    );
    return this.closing;
  }

  /** EVALSHA with the script's digest; EVAL (which caches it again) after a SCRIPT FLUSH. */
  private scriptRunner(lua: string) {
    const sha = createHash('sha1').update(lua).digest('hex');
    return async (keys: string[], args: (string | number)[]): Promise<unknown> => {
      this.sendHeld();
      const full = keys.map((k) => this.prefix + k);
      try {
        return await this.client.evalsha(sha, full.length, ...full, ...args);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) classify('redis', isRedisDown, err);
        return this.command(this.client.eval(lua, full.length, ...full, ...args));
      }
    };
  }
}

/**
 * Connects to the Redis that `url` names and resolves once it is ready, or rejects with an error
 * naming the target (never its credentials) when it cannot be reached or is older than 6.2.
 * After the first connection ioredis reconnects on its own; commands fail fast meanwhile.
 */
export async function connectRedis(url: string, opts: ConnectRedisOptions = {}): Promise<RedisClient> {
  const target = parseRedisUrl(url);
  const client = createClient(target, opts.connectTimeoutMs ?? 5000, opts.commandTimeoutMs ?? 2000);
  let lastError: Error | undefined;
  let lastLogged = 0;
  let connected = false;
  let lost = false;
  client.on('ready', () => {
    if (lost) opts.logger?.info({ redis: target.display }, 'Redis connection restored');
    lost = false;
  });
  client.on('error', (err: Error) => {
    lastError = err;
    lost = connected;
    // ioredis reports every failed reconnect attempt; keep the log readable.
    if (connected && opts.logger && Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      opts.logger.warn({ err: err.message, redis: target.display }, 'Redis connection error');
    }
  });
  // A cluster reports "Failed to refresh slots cache."; the nodes' own errors say why.
  let nodeError: string | undefined;
  if (client.isCluster) {
    client.on('node error', (err: Error, node: string) => {
      nodeError = `${node}: ${err.message}`;
    });
  }
  try {
    try {
      await withTimeout(client.connect(), (opts.connectTimeoutMs ?? 5000) + 5000);
    } catch (err) {
      // connect() rejects with a bare "Connection is closed."; the error event says why.
      throw lastError ?? err;
    }
    await checkVersion(client);
  } catch (err) {
    client.disconnect();
    let message = err instanceof Error ? err.message : String(err);
    if (nodeError) message += ` (${nodeError})`;
    throw new Error(`cannot use Redis at ${target.display}: ${message}`, { cause: err });
  }
  connected = true;
  return client;
}

/** Opens a Redis-backed store; see connectRedis. */
export async function openRedisStore(
  url: string,
  opts: { keyPrefix?: string; logger?: Logger; connectTimeoutMs?: number; commandTimeoutMs?: number } = {},
): Promise<RedisKeyValueStore> {
  const client = await connectRedis(url, opts);
  opts.logger?.info({ redis: parseRedisUrl(url).display }, 'connected to Redis');
  return new RedisKeyValueStore(client, { keyPrefix: opts.keyPrefix, logger: opts.logger });
}

/** Reconnect attempts: quickly at first, then every second, so Redis back is Redis used within a second. */
const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 1000);

function createClient(target: RedisTarget, connectTimeout: number, commandTimeout: number): RedisClient {
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout,
    // While Redis is away a command fails at once rather than wait in a queue for it (the
    // request is answered `unavailable`, and the client retries); one sent to a Redis that
    // stopped answering fails after the timeout. Half of it per command: auto-pipelining sends
    // a command once the pipeline ahead of it is answered, so a command may wait out two.
    enableOfflineQueue: false,
    commandTimeout: Math.max(1, Math.floor(commandTimeout / 2)),
    maxRetriesPerRequest: 1,
    retryStrategy: reconnectDelay,
    connectionName: 'signet',
  };
  switch (target.kind) {
    case 'single':
      return new Redis(target.url, { ...common, enableAutoPipelining: true });
    case 'cluster': {
      const options: ClusterOptions = {
        lazyConnect: true,
        enableAutoPipelining: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: reconnectDelay,
        redisOptions: {
          ...common,
          username: target.username,
          password: target.password,
          tls: target.tls ? {} : undefined,
        },
      };
      return new Cluster(target.nodes, options);
    }
    case 'sentinel':
      return new Redis({
        ...common,
        enableAutoPipelining: true,
        sentinels: target.sentinels,
        name: target.name,
        db: target.db,
        username: target.username,
        password: target.password,
        sentinelUsername: target.sentinelUsername,
        sentinelPassword: target.sentinelPassword,
        tls: target.tls ? {} : undefined,
        enableTLSForSentinelMode: target.tls,
        sentinelTLS: target.tls ? {} : undefined,
      });
  }
}

async function checkVersion(client: RedisClient): Promise<void> {
  const info = await client.info('server');
  const m = /^redis_version:(\d+)\.(\d+)/m.exec(info);
  if (!m) return;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
    throw new Error(`Redis ${m[1]}.${m[2]} is too old: Signet needs ${MIN_VERSION.join('.')} or newer (GETDEL)`);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Redis's own refusals that mean "not now": loading, failing over, read-only, busy, cluster down. */
const TRANSIENT_REPLY = /^(LOADING|READONLY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|BUSY|NOREPLICAS|MISCONF)\b/;
/** ioredis's words for a connection that is not there (it gives most of them no code). */
const CLIENT_DOWN =
  /^(Connection is closed|Stream isn't writeable|Command timed out|Cluster isn't ready|Cluster is disconnect|None of startup nodes|Failed to refresh slots cache|Too many Cluster redirections|Node is disconnected|All sentinels are unreachable|Socket timeout|connect ETIMEDOUT)/;
const DOWN_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);

/** True when a Redis command failed because Redis is unreachable, cut, slow or not serving. */
export function isRedisDown(err: unknown): boolean {
  for (const e of causes(err)) {
    const message = typeof e.message === 'string' ? e.message : '';
    if (e.name === 'ReplyError') return TRANSIENT_REPLY.test(message);
    if (DOWN_NAMES.has(String(e.name)) || CLIENT_DOWN.test(message)) return true;
    if (typeof e.code === 'string' && SOCKET_CODES.has(e.code)) return true;
  }
  return false;
}
