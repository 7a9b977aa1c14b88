// Failed-password lockout. The classic bug is the parallel bypass: many concurrent guesses all
// read "4 failures" and all get to compare a password. Here an attempt must first take a place
// in one atomic step, and places are limited to what is left of the budget: failures so far plus
// attempts in flight never exceed the maximum. So no more than `max` passwords are ever compared
// before the lock, however many requests arrive at once and on however many instances; the
// extra ones are told to retry. Confirmed failures and attempts in flight are counted apart, so
// a burst of *right* passwords cannot lock an account. Keys carry a hash tag so the keys of one
// script share a Redis Cluster slot.
import type { AtomicScript, ScriptableKeyValueStore } from '../ports.js';
import { SignetError } from '../errors.js';
import type { EffectivePolicy } from './policy.js';
import { KnownRefusals } from './refusals.js';

/** Failures are "consecutive" within this window; a success or an unlock resets them. */
const FAILURE_WINDOW_SECONDS = 86400;
/** An attempt whose process died mid-compare frees its place after this. */
const PENDING_TTL_SECONDS = 30;
/**
 * How long the store may hold back the place a successful attempt gives back (see succeeded):
 * the place is then held this much longer, which only ever makes the budget stricter.
 */
const RELEASE_HOLD_MS = 250;

interface Scripts {
  reserve: AtomicScript<number[]>;
  fail: AtomicScript<number[]>;
  release: AtomicScript<number>;
}

const scripts = new WeakMap<ScriptableKeyValueStore, Scripts>();

function scriptsOf(kv: ScriptableKeyValueStore): Scripts {
  let s = scripts.get(kv);
  if (s) return s;
  s = {
    // KEYS: failed, pending, lock. ARGV: max, pendingTtl. → {failed, in flight} | {-1, locked for} | {-2, 0} (busy)
    reserve: kv.defineScript<number[]>({
      name: 'lockout-reserve',
      numKeys: 3,
      lua: `
        local t = redis.call('TTL', KEYS[3])
        if t > 0 then return {-1, t} end
        local failed = tonumber(redis.call('GET', KEYS[1]) or '0')
        local pending = tonumber(redis.call('GET', KEYS[2]) or '0')
        if failed + pending >= tonumber(ARGV[1]) then return {-2, 0} end
        local n = redis.call('INCR', KEYS[2])
        redis.call('EXPIRE', KEYS[2], ARGV[2])
        return {failed, n}`,
      memory(ks, [failed, pending, lock], [max, pendingTtl]) {
        const t = ks.ttl(lock);
        if (t > 0) return [-1, t];
        const f = Number(ks.get(failed) ?? 0);
        const p = Number(ks.get(pending) ?? 0);
        if (f + p >= Number(max)) return [-2, 0];
        const n = ks.incrBy(pending, 1);
        ks.expire(pending, Number(pendingTtl));
        return [f, n];
      },
    }),
    // KEYS: failed, pending, lock. ARGV: max, lockSeconds, window. → {failures, locked for (0 = not locked)}
    fail: kv.defineScript<number[]>({
      name: 'lockout-fail',
      numKeys: 3,
      lua: `
        if redis.call('DECR', KEYS[2]) <= 0 then redis.call('DEL', KEYS[2]) end
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
        if n >= tonumber(ARGV[1]) then
          redis.call('SET', KEYS[3], '1', 'EX', ARGV[2])
          redis.call('DEL', KEYS[1])
          return {n, tonumber(ARGV[2])}
        end
        return {n, 0}`,
      memory(ks, [failed, pending, lock], [max, lockSeconds, window]) {
        if (ks.incrBy(pending, -1) <= 0) ks.del(pending);
        const n = ks.incrBy(failed, 1);
        if (n === 1) ks.expire(failed, Number(window));
        if (n >= Number(max)) {
          ks.set(lock, '1', Number(lockSeconds));
          ks.del(failed);
          return [n, Number(lockSeconds)];
        }
        return [n, 0];
      },
    }),
    // KEYS: failed, pending. ARGV: '1' to clear the failures (a success), '0' to keep them.
    release: kv.defineScript<number>({
      name: 'lockout-release',
      numKeys: 2,
      lua: `
        if redis.call('DECR', KEYS[2]) <= 0 then redis.call('DEL', KEYS[2]) end
        if ARGV[1] == '1' then redis.call('DEL', KEYS[1]) end
        return 1`,
      memory(ks, [failed, pending], [success]) {
        if (ks.incrBy(pending, -1) <= 0) ks.del(pending);
        if (success === '1') ks.del(failed);
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

const keys = (s: Subject) => {
  const base = `pw:{${s.tenantId}:${s.key}}`;
  return { failed: `${base}:n`, pending: `${base}:p`, lock: `${base}:lock` };
};

export function lockedError(seconds: number, detail = 'locked'): SignetError {
  return new SignetError('invalid_status', detail, { retryAfterSeconds: seconds, metadata: { locked: 'true' } });
}

/** A place taken for one comparison: the consecutive failures so far, and the attempts in flight (this one included). */
export interface Place {
  failures: number;
  inFlight: number;
}

export interface Failure {
  /** Consecutive failures, this one included. */
  failures: number;
  /** Seconds the account is now locked for; 0 when this failure did not lock it. */
  lockedFor: number;
}

export class Lockout {
  private readonly known = new KnownRefusals();

  constructor(private readonly kv: ScriptableKeyValueStore) {}

  /** Consecutive failures so far (for the captcha threshold); reads only. */
  async failures(s: Subject): Promise<number> {
    return Number((await this.kv.get(keys(s).failed)) ?? 0);
  }

  /**
   * Takes a place for one password comparison. Throws invalid_status (with RetryInfo) when the
   * subject is locked, and resource_exhausted (retry in a second) when the attempts already in
   * flight use up what is left of the budget.
   */
  async reserve(s: Subject, p: EffectivePolicy): Promise<Place> {
    const k = keys(s);
    const [n, x] = await scriptsOf(this.kv).reserve([k.failed, k.pending, k.lock], [p.maxFailedAttempts, PENDING_TTL_SECONDS]);
    if (n === -1) throw lockedError(x);
    if (n === -2) throw new SignetError('resource_exhausted', 'attempts_in_flight', { retryAfterSeconds: 1, metadata: { scope: 'attempts_in_flight' } });
    return { failures: n, inFlight: x };
  }

  /** The compared password was wrong: count it, and lock at the limit. */
  async fail(s: Subject, p: EffectivePolicy): Promise<Failure> {
    const k = keys(s);
    const [failures, lockedFor] = await scriptsOf(this.kv).fail([k.failed, k.pending, k.lock], [
      p.maxFailedAttempts, p.lockSeconds, FAILURE_WINDOW_SECONDS,
    ]);
    return { failures, lockedFor };
  }

  /**
   * A success: gives the place back and clears the failures. In the common case (no failures
   * before, budget to spare) only the place is given back, and the store may hold that back
   * briefly to send it with its next command, which takes a Redis write off a successful
   * sign-in. Holding a place longer only ever makes the budget stricter, and with budget to
   * spare it refuses no one; failures are cleared at once, so a user who just signed in never
   * meets a stale count, and a held update never clears failures counted after the success.
   */
  async succeeded(s: Subject, place: Place, p: EffectivePolicy): Promise<void> {
    if (place.failures > 0 || place.failures + place.inFlight >= p.maxFailedAttempts - 1) return this.release(s, place.failures > 0);
    const k = keys(s);
    this.kv.runSoon(scriptsOf(this.kv).release, [k.failed, k.pending], ['0'], RELEASE_HOLD_MS);
  }

  /** Gives the place back: after a success (the failures are cleared too) or an error. */
  async release(s: Subject, success: boolean): Promise<void> {
    const k = keys(s);
    await scriptsOf(this.kv).release([k.failed, k.pending], [success ? '1' : '0']);
  }

  /** An operator's unlock: the count starts again. */
  async reset(s: Subject): Promise<void> {
    const k = keys(s);
    await this.kv.del(k.failed, k.pending, k.lock);
  }

  /**
   * The lock as seen from the identifier a client typed, before any database lookup, so that a
   * locked account under attack costs one key read. Only an identifier this instance has seen
   * locked is read (seenLocked): an ordinary sign-in pays nothing here, and its Redis checks
   * wait to share one write with the reservation. The read confirms the lock, which an operator
   * may have lifted through another instance.
   */
  seenLocked(tenantId: string, identifier: string): boolean {
    return this.known.remaining(identifierLockKey(tenantId, identifier)) > 0;
  }

  /** Throws invalid_status while the lock seen lasts; forgets it once it is gone. */
  async confirmLock(tenantId: string, identifier: string): Promise<void> {
    const key = identifierLockKey(tenantId, identifier);
    const until = Number((await this.kv.get(key)) ?? 0);
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left > 0) throw lockedError(left, 'lock_confirmed');
    this.known.forget(key);
  }

  /** Its value is the lock's end (ms). */
  async rememberLock(tenantId: string, identifier: string, seconds: number): Promise<void> {
    const key = identifierLockKey(tenantId, identifier);
    const end = Date.now() + seconds * 1000;
    this.known.remember(key, end);
    await this.kv.set(key, String(end), seconds);
  }

  async forgetLocks(tenantId: string, identifiers: string[]): Promise<void> {
    const keys = identifiers.map((i) => identifierLockKey(tenantId, i));
    for (const k of keys) this.known.forget(k);
    if (keys.length) await this.kv.del(...keys);
  }
}

const identifierLockKey = (tenantId: string, identifier: string) => `pwl:{${tenantId}:${identifier}}`;
