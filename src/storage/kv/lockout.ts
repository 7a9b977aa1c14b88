// LockoutStore over the key-value store. Why the steps are shaped so (a place per comparison,
// failures and attempts in flight counted apart) is told in domain/defence/lockout.ts; here is
// how each stays one atomic step. The three keys of a subject carry one hash tag, so that a
// script touching them runs on one Redis Cluster node.
import type { LockoutReservation, LockoutStore, LockoutSubject } from '../../domain/ports.js';
import type { AtomicScript, ScriptableKeyValueStore } from '../kv.js';

const subjectKeys = (s: LockoutSubject) => {
  const base = `pw:{${s.tenantId}:${s.key}}`;
  return { failed: `${base}:n`, pending: `${base}:p`, lock: `${base}:lock` };
};
const identifierLockKey = (tenantId: string, identifier: string) => `pwl:{${tenantId}:${identifier}}`;

export class KvLockoutStore implements LockoutStore {
  private readonly reserveScript: AtomicScript<number[]>;
  private readonly failScript: AtomicScript<number[]>;
  private readonly releaseScript: AtomicScript<number>;

  constructor(private readonly kv: ScriptableKeyValueStore) {
    // KEYS: failed, pending, lock. ARGV: max, pendingTtl. → {failed, in flight} | {-1, locked for} | {-2, 0} (busy)
    this.reserveScript = kv.defineScript<number[]>({
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
    });
    // KEYS: failed, pending, lock. ARGV: max, lockSeconds, window. → {failures, locked for (0 = not locked)}
    this.failScript = kv.defineScript<number[]>({
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
    });
    // KEYS: failed, pending. ARGV: '1' to clear the failures (a success), '0' to keep them.
    this.releaseScript = kv.defineScript<number>({
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
    });
  }

  async reserve(s: LockoutSubject, max: number, pendingTtlSeconds: number): Promise<LockoutReservation> {
    const k = subjectKeys(s);
    const [n, x] = await this.reserveScript([k.failed, k.pending, k.lock], [max, pendingTtlSeconds]);
    if (n === -1) return { outcome: 'locked', seconds: x };
    if (n === -2) return { outcome: 'busy' };
    return { outcome: 'place', failures: n, inFlight: x };
  }

  async fail(s: LockoutSubject, max: number, lockSeconds: number, windowSeconds: number) {
    const k = subjectKeys(s);
    const [failures, lockedFor] = await this.failScript([k.failed, k.pending, k.lock], [max, lockSeconds, windowSeconds]);
    return { failures, lockedFor };
  }

  async release(s: LockoutSubject, clearFailures: boolean): Promise<void> {
    const k = subjectKeys(s);
    await this.releaseScript([k.failed, k.pending], [clearFailures ? '1' : '0']);
  }

  releaseSoon(s: LockoutSubject, maxDelayMs: number): void {
    const k = subjectKeys(s);
    this.kv.runSoon(this.releaseScript, [k.failed, k.pending], ['0'], maxDelayMs);
  }

  async failures(s: LockoutSubject): Promise<number> {
    return Number((await this.kv.get(subjectKeys(s).failed)) ?? 0);
  }

  async reset(s: LockoutSubject): Promise<void> {
    const k = subjectKeys(s);
    await this.kv.del(k.failed, k.pending, k.lock);
  }

  async markIdentifierLock(tenantId: string, identifier: string, endMs: number, ttlSeconds: number): Promise<void> {
    await this.kv.set(identifierLockKey(tenantId, identifier), String(endMs), ttlSeconds);
  }

  async identifierLockEnd(tenantId: string, identifier: string): Promise<number> {
    return Number((await this.kv.get(identifierLockKey(tenantId, identifier))) ?? 0);
  }

  async clearIdentifierLocks(tenantId: string, identifiers: string[]): Promise<void> {
    if (identifiers.length) await this.kv.del(...identifiers.map((i) => identifierLockKey(tenantId, i)));
  }
}
