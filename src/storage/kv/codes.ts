// CodeStore over the key-value store: send slots per destination, codes with their attempt
// counts, verification tokens. The keys one script touches share a hash tag (one Redis Cluster
// slot): a destination's gap and daily count, a code and its attempts.
import type { CodeCheck, CodeStore, SendLimits, SendReservation, StoredCode, VerifiedCode } from '../../domain/ports.js';
import type { AtomicScript, ScriptableKeyValueStore } from '../kv.js';

type Outcome = [string, number | string];

/** A code as kept: compact, and the shape the check script reads with cjson. */
interface CodeRecord {
  h: string;
  t: string;
  u: StoredCode['userType'];
  c: StoredCode['channel'];
  d: string;
  g: string;
  /** The user of a CUR_USER code; absent when none. */
  i?: string;
}

const sendKeys = (destination: string) => [`code-send:{${destination}}:gap`, `code-send:{${destination}}:day`];
const codeKeys = (id: string) => [`code:{${id}}`, `code:{${id}}:n`];
const tokenKey = (tokenHash: string) => `verification-token:{${tokenHash}}`;

const toRecord = (c: StoredCode): CodeRecord => ({
  h: c.mac,
  t: c.tenantId,
  u: c.userType,
  c: c.channel,
  d: c.destination,
  g: c.usage,
  ...(c.userId ? { i: c.userId } : {}),
});
const fromRecord = (r: CodeRecord): StoredCode => ({
  mac: r.h,
  tenantId: r.t,
  userType: r.u,
  channel: r.c,
  destination: r.d,
  usage: r.g,
  userId: r.i ?? '',
});

export class KvCodeStore implements CodeStore {
  private readonly reserveScript: AtomicScript<Outcome>;
  private readonly releaseScript: AtomicScript<number>;
  private readonly checkScript: AtomicScript<Outcome>;

  constructor(private readonly kv: ScriptableKeyValueStore) {
    // KEYS: gap, day. ARGV: resendSeconds, dailyLimit, window, captchaAfter, captchaOk, slot.
    // → {'gap'|'day', seconds left} | {'captcha', sends} | {'ok', sends}
    this.reserveScript = kv.defineScript<Outcome>({
      name: 'codes-reserve',
      numKeys: 2,
      lua: `
        local gap = tonumber(ARGV[1])
        if gap > 0 then
          local t = redis.call('TTL', KEYS[1])
          if t ~= -2 then return {'gap', math.max(t, 1)} end
        end
        local n = tonumber(redis.call('GET', KEYS[2]) or '0')
        if n >= tonumber(ARGV[2]) then return {'day', math.max(redis.call('TTL', KEYS[2]), 1)} end
        if n >= tonumber(ARGV[4]) and ARGV[5] ~= '1' then return {'captcha', n} end
        if gap > 0 then redis.call('SET', KEYS[1], ARGV[6], 'EX', gap) end
        n = redis.call('INCR', KEYS[2])
        if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
        return {'ok', n}`,
      memory(ks, [gapKey, dayKey], [resend, daily, window, captchaAfter, captchaOk, slot]) {
        const gap = Number(resend);
        if (gap > 0) {
          const t = ks.ttl(gapKey);
          if (t !== -2) return ['gap', Math.max(t, 1)];
        }
        let n = Number(ks.get(dayKey) ?? '0');
        if (n >= Number(daily)) return ['day', Math.max(ks.ttl(dayKey), 1)];
        if (n >= Number(captchaAfter) && captchaOk !== '1') return ['captcha', n];
        if (gap > 0) ks.set(gapKey, slot, gap);
        n = ks.incrBy(dayKey, 1);
        if (n === 1) ks.expire(dayKey, Number(window));
        return ['ok', n];
      },
    });
    // KEYS: gap, day. ARGV: slot.
    this.releaseScript = kv.defineScript<number>({
      name: 'codes-release',
      numKeys: 2,
      lua: `
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
        return 1`,
      memory(ks, [gapKey, dayKey], [slot]) {
        if (ks.get(gapKey) === slot) ks.del(gapKey);
        if (Number(ks.get(dayKey) ?? '0') > 0) ks.incrBy(dayKey, -1);
        return 1;
      },
    });
    // KEYS: code, attempts. ARGV: mac, maxAttempts, ttl, expected tenant, expected destination
    // (empty: any). → {'ok', record} | {'wrong', attempts left} | {'gone', 0}
    this.checkScript = kv.defineScript<Outcome>({
      name: 'codes-check',
      numKeys: 2,
      lua: `
        local rec = redis.call('GET', KEYS[1])
        if not rec then return {'gone', 0} end
        local r = cjson.decode(rec)
        local n = redis.call('INCR', KEYS[2])
        if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
        local max = tonumber(ARGV[2])
        if n > max then redis.call('DEL', KEYS[1], KEYS[2]) return {'gone', 0} end
        if r.h == ARGV[1] and (ARGV[4] == '' or r.t == ARGV[4]) and (ARGV[5] == '' or r.d == ARGV[5]) then
          redis.call('DEL', KEYS[1], KEYS[2])
          return {'ok', rec}
        end
        if n >= max then redis.call('DEL', KEYS[1], KEYS[2]) end
        return {'wrong', max - n}`,
      memory(ks, [codeKey, attemptsKey], [mac, maxAttempts, ttl, tenant, dest]) {
        const rec = ks.get(codeKey);
        if (rec === null) return ['gone', 0];
        const r = JSON.parse(rec) as CodeRecord;
        const n = ks.incrBy(attemptsKey, 1);
        if (n === 1) ks.expire(attemptsKey, Number(ttl));
        const max = Number(maxAttempts);
        if (n > max) {
          ks.del(codeKey);
          ks.del(attemptsKey);
          return ['gone', 0];
        }
        if (r.h === mac && (tenant === '' || r.t === tenant) && (dest === '' || r.d === dest)) {
          ks.del(codeKey);
          ks.del(attemptsKey);
          return ['ok', rec];
        }
        if (n >= max) {
          ks.del(codeKey);
          ks.del(attemptsKey);
        }
        return ['wrong', max - n];
      },
    });
  }

  async reserveSend(destination: string, slot: string, l: SendLimits): Promise<SendReservation> {
    const [outcome, value] = await this.reserveScript(sendKeys(destination), [
      l.resendSeconds,
      l.dailyLimit,
      l.windowSeconds,
      l.captchaAfter,
      l.captchaSolved ? 1 : 0,
      slot,
    ]);
    if (outcome === 'gap' || outcome === 'day') return { outcome, retryAfterSeconds: Number(value) };
    return { outcome: outcome === 'ok' ? 'ok' : 'captcha', sends: Number(value) };
  }

  async releaseSend(destination: string, slot: string): Promise<void> {
    await this.releaseScript(sendKeys(destination), [slot]);
  }

  async saveCode(id: string, code: StoredCode, ttlSeconds: number): Promise<void> {
    await this.kv.set(codeKeys(id)[0], JSON.stringify(toRecord(code)), ttlSeconds);
  }

  async deleteCode(id: string): Promise<void> {
    await this.kv.del(codeKeys(id)[0]);
  }

  async checkCode(
    id: string,
    attempt: { mac: string; tenantId: string; destination: string },
    maxAttempts: number,
    ttlSeconds: number,
  ): Promise<CodeCheck> {
    const [outcome, value] = await this.checkScript(codeKeys(id), [
      attempt.mac,
      maxAttempts,
      ttlSeconds,
      attempt.tenantId,
      attempt.destination,
    ]);
    if (outcome === 'ok') return { outcome, code: fromRecord(JSON.parse(String(value)) as CodeRecord) };
    if (outcome === 'wrong') return { outcome, attemptsLeft: Number(value) };
    return { outcome: 'gone' };
  }

  async saveToken(tokenHash: string, v: VerifiedCode, ttlSeconds: number): Promise<void> {
    const carried: Omit<CodeRecord, 'h'> = {
      t: v.tenantId,
      u: v.userType,
      c: v.channel,
      d: v.destination,
      g: v.usage,
      ...(v.userId ? { i: v.userId } : {}),
    };
    await this.kv.set(tokenKey(tokenHash), JSON.stringify(carried), ttlSeconds);
  }

  async takeToken(tokenHash: string): Promise<VerifiedCode | null> {
    const raw = await this.kv.getDel(tokenKey(tokenHash));
    if (raw === null) return null;
    const r = JSON.parse(raw) as Omit<CodeRecord, 'h'>;
    return { tenantId: r.t, userType: r.u, channel: r.c, destination: r.d, usage: r.g, userId: r.i ?? '' };
  }
}
