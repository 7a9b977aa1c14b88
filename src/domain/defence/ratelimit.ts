// Request rate limits in fixed one-minute windows, and the per-IP count of failed sign-ins.
// One INCR per key and request: cheap enough for the token endpoint's hot path.
import type { ScriptableKeyValueStore } from '../ports.js';
import type { DefenceSettings } from '../../config.js';
import { SignetError } from '../errors.js';

function exhausted(retryAfterSeconds: number, scope: string): SignetError {
  return new SignetError('resource_exhausted', { retryAfterSeconds: Math.max(1, retryAfterSeconds), metadata: { scope } });
}

export class RateLimiter {
  constructor(private readonly kv: ScriptableKeyValueStore, private readonly s: DefenceSettings) {}

  /** Sign-in and token requests: per client IP and per client, per minute. */
  async checkRequest(ip: string, clientId: string): Promise<void> {
    const now = Date.now();
    const minute = Math.floor(now / 60_000);
    const left = 60 - Math.floor((now % 60_000) / 1000);
    const checks: Promise<void>[] = [];
    if (this.s.ipPerMinute > 0 && ip) {
      checks.push(this.kv.incr(`rl:ip:{${ip}}:${minute}`, 61).then((n) => {
        if (n > this.s.ipPerMinute) throw exhausted(left, 'ip');
      }));
    }
    if (this.s.clientPerMinute > 0 && clientId) {
      checks.push(this.kv.incr(`rl:client:{${clientId}}:${minute}`, 61).then((n) => {
        if (n > this.s.clientPerMinute) throw exhausted(left, 'client');
      }));
    }
    await Promise.all(checks);
  }

  /** Failed sign-ins from this IP in the current window (read only). */
  async ipFailures(ip: string): Promise<number> {
    if (!ip || (this.s.ipFailuresCaptcha === 0 && this.s.ipFailuresBlock === 0)) return 0;
    return Number((await this.kv.get(this.ipKey(ip))) ?? 0);
  }

  /** Refuses an IP past the block threshold. */
  checkIpFailures(failures: number): void {
    if (this.s.ipFailuresBlock > 0 && failures >= this.s.ipFailuresBlock) {
      throw exhausted(this.s.ipFailureWindowSeconds, 'ip_failures');
    }
  }

  needsCaptchaForIp(failures: number): boolean {
    return this.s.ipFailuresCaptcha > 0 && failures >= this.s.ipFailuresCaptcha;
  }

  async recordIpFailure(ip: string): Promise<void> {
    if (ip && (this.s.ipFailuresCaptcha > 0 || this.s.ipFailuresBlock > 0)) {
      await this.kv.incr(this.ipKey(ip), this.s.ipFailureWindowSeconds);
    }
  }

  private ipKey(ip: string): string {
    const window = Math.floor(Date.now() / 1000 / this.s.ipFailureWindowSeconds);
    return `ipf:{${ip}}:${window}`;
  }
}
