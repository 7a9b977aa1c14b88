// Failed-password lockout. The classic bug is the parallel bypass: many concurrent guesses all
// read "4 failures" and all get to compare a password. Here every attempt first *reserves* its
// place in one atomic step (INCR under a lock check); only the first `max` reservations may
// compare, everything after answers "locked" without hashing, and the counter only goes down on
// a success. Keys carry a hash tag so both keys of a script share a Redis Cluster slot.
import type { AtomicScript, ScriptableKeyValueStore } from '../ports.js';
import { SignetError } from '../errors.js';
import type { EffectivePolicy } from './policy.js';

/** Failures are "consecutive" within this window; a success or an unlock resets them. */
const FAILURE_WINDOW_SECONDS = 86400;

interface Scripts {
  reserve: AtomicScript<number[]>;
  lock: AtomicScript<number>;
}

const scripts = new WeakMap<ScriptableKeyValueStore, Scripts>();

function scriptsOf(kv: ScriptableKeyValueStore): Scripts {
  let s = scripts.get(kv);
  if (s) return s;
  s = {
    // KEYS: counter, lock. ARGV: max, lockSeconds, window. → {n, 0} or {-1, seconds locked}
    reserve: kv.defineScript<number[]>({
      name: 'lockout-reserve',
      numKeys: 2,
      lua: `
        local t = redis.call('TTL', KEYS[2])
        if t > 0 then return {-1, t} end
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
        if n > tonumber(ARGV[1]) then
          redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
          redis.call('DEL', KEYS[1])
          return {-1, tonumber(ARGV[2])}
        end
        return {n, 0}`,
      memory(ks, [counter, lock], [max, lockSeconds, window]) {
        const t = ks.ttl(lock);
        if (t > 0) return [-1, t];
        const n = ks.incrBy(counter, 1);
        if (n === 1) ks.expire(counter, Number(window));
        if (n > Number(max)) {
          ks.set(lock, '1', Number(lockSeconds));
          ks.del(counter);
          return [-1, Number(lockSeconds)];
        }
        return [n, 0];
      },
    }),
    // KEYS: counter, lock. ARGV: lockSeconds.
    lock: kv.defineScript<number>({
      name: 'lockout-lock',
      numKeys: 2,
      lua: `redis.call('SET', KEYS[2], '1', 'EX', ARGV[1]) redis.call('DEL', KEYS[1]) return 1`,
      memory(ks, [counter, lock], [lockSeconds]) {
        ks.set(lock, '1', Number(lockSeconds));
        ks.del(counter);
        return 1;
      },
    }),
  };
  scripts.set(kv, s);
  return s;
}

/** Whose failures count: the user, or for an unknown user the identifier (so it locks too). */
export interface Subject {
  tenantId: string;
  key: string;
}

const counterKey = (s: Subject) => `pw:{${s.tenantId}:${s.key}}:n`;
const lockKey = (s: Subject) => `pw:{${s.tenantId}:${s.key}}:lock`;

export function lockedError(seconds: number): SignetError {
  return new SignetError('invalid_status', { retryAfterSeconds: seconds, metadata: { locked: 'true' } });
}

export class Lockout {
  constructor(private readonly kv: ScriptableKeyValueStore) {}

  /** Consecutive failures so far (for the captcha threshold); reads only. */
  async failures(s: Subject): Promise<number> {
    return Number((await this.kv.get(counterKey(s))) ?? 0);
  }

  /**
   * Reserves one attempt. Throws invalid_status (with RetryInfo) when the subject is locked or
   * the reservation is past the limit; else returns the attempt's number (1-based).
   */
  async reserve(s: Subject, p: EffectivePolicy): Promise<number> {
    const [n, lockedFor] = await scriptsOf(this.kv).reserve([counterKey(s), lockKey(s)], [
      p.maxFailedAttempts, p.lockSeconds, FAILURE_WINDOW_SECONDS,
    ]);
    if (n < 0) throw lockedError(lockedFor);
    return n;
  }

  /** Locks now (the reservation that reached the limit failed). */
  async lock(s: Subject, p: EffectivePolicy): Promise<void> {
    await scriptsOf(this.kv).lock([counterKey(s), lockKey(s)], [p.lockSeconds]);
  }

  /** A success, or an operator's unlock: the count starts again. */
  async reset(s: Subject): Promise<void> {
    await this.kv.del(counterKey(s), lockKey(s));
  }

  /**
   * The lock as seen from the identifier a client typed, checked before any database lookup so
   * that a locked account under attack costs one key read. Its value is the lock's end (ms).
   */
  async checkIdentifier(tenantId: string, identifier: string): Promise<void> {
    const until = Number((await this.kv.get(identifierLockKey(tenantId, identifier))) ?? 0);
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left > 0) throw lockedError(left);
  }

  async markIdentifier(tenantId: string, identifier: string, seconds: number): Promise<void> {
    await this.kv.set(identifierLockKey(tenantId, identifier), String(Date.now() + seconds * 1000), seconds);
  }

  async clearIdentifiers(tenantId: string, identifiers: string[]): Promise<void> {
    if (identifiers.length) await this.kv.del(...identifiers.map((i) => identifierLockKey(tenantId, i)));
  }
}

const identifierLockKey = (tenantId: string, identifier: string) => `pwl:{${tenantId}:${identifier}}`;
