// DeviceGrantStore over the key-value store. The keys of one device share a hash tag (its digest);
// the decision is a SET NX (the first decision wins), redeeming it a GETDEL (one poll gets the
// tokens), and the polling pace a script (read, compare, write in one step).
import type { DeviceGrantStore } from '../../domain/ports.js';
import type { AtomicScript, ScriptableKeyValueStore } from '../kv.js';

const requestKey = (d: string) => `device:{${d}}`;
const decisionKey = (d: string) => `device:{${d}}:decision`;
const pollKey = (d: string) => `device:{${d}}:poll`;
const userCodeKey = (u: string) => `device-user:{${u}}`;

export class KvDeviceGrantStore implements DeviceGrantStore {
  private readonly pollScript: AtomicScript<number[]>;

  constructor(private readonly kv: ScriptableKeyValueStore) {
    // KEYS: poll. ARGV: now (ms), interval (s), step (s), ttl (s). → {slow down (0/1), interval}
    this.pollScript = kv.defineScript<number[]>({
      name: 'device-poll',
      numKeys: 1,
      lua: `
        local v = redis.call('GET', KEYS[1])
        local now = tonumber(ARGV[1])
        local interval = tonumber(ARGV[2])
        local slow = 0
        if v then
          local last, iv = string.match(v, '^(%d+):(%d+)$')
          if last then
            interval = tonumber(iv)
            if now - tonumber(last) < interval * 1000 then
              interval = interval + tonumber(ARGV[3])
              slow = 1
            end
          end
        end
        redis.call('SET', KEYS[1], tostring(now) .. ':' .. tostring(interval), 'EX', ARGV[4])
        return {slow, interval}`,
      memory(ks, [key], [nowArg, intervalArg, step, ttl]) {
        const now = Number(nowArg);
        let interval = Number(intervalArg);
        let slow = 0;
        const m = /^(\d+):(\d+)$/.exec(ks.get(key) ?? '');
        if (m) {
          interval = Number(m[2]);
          if (now - Number(m[1]) < interval * 1000) {
            interval += Number(step);
            slow = 1;
          }
        }
        ks.set(key, `${now}:${interval}`, Number(ttl));
        return [slow, interval];
      },
    });
  }

  async create(deviceDigest: string, userCodeDigest: string, request: string, ttlSeconds: number): Promise<void> {
    await this.kv.set(requestKey(deviceDigest), request, ttlSeconds);
    await this.kv.set(userCodeKey(userCodeDigest), deviceDigest, ttlSeconds);
  }

  request(deviceDigest: string): Promise<string | null> {
    return this.kv.get(requestKey(deviceDigest));
  }

  deviceOf(userCodeDigest: string): Promise<string | null> {
    return this.kv.get(userCodeKey(userCodeDigest));
  }

  async decide(deviceDigest: string, userCodeDigest: string, decision: string, ttlSeconds: number): Promise<boolean> {
    const won = await this.kv.setIfAbsent(decisionKey(deviceDigest), decision, ttlSeconds);
    await this.kv.del(userCodeKey(userCodeDigest));
    return won;
  }

  decision(deviceDigest: string): Promise<string | null> {
    return this.kv.get(decisionKey(deviceDigest));
  }

  async redeem(deviceDigest: string): Promise<string | null> {
    const decision = await this.kv.getDel(decisionKey(deviceDigest));
    if (decision !== null) await this.kv.del(requestKey(deviceDigest), pollKey(deviceDigest));
    return decision;
  }

  async poll(deviceDigest: string, nowMs: number, intervalSeconds: number, stepSeconds: number, ttlSeconds: number) {
    const [slow, interval] = await this.pollScript([pollKey(deviceDigest)], [nowMs, intervalSeconds, stepSeconds, ttlSeconds]);
    return { slowDown: slow === 1, interval };
  }
}
