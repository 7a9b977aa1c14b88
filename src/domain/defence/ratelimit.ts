// Request rate limits in fixed one-minute windows, and the per-IP count of failed sign-ins.
// One INCR per key and request: cheap enough for the token endpoint's hot path. What such checks
// cost is mostly the socket write that carries them (a loopback write wakes Redis, and the
// kernel charges that to the writer), so a request's checks wait to leave with its other Redis
// work (see Admission) and refusals already known here cost no write at all (refusals.ts). Both
// are exact: within a fixed window a count only grows, so a key over its limit stays over it.
import type { ScriptableKeyValueStore } from '../ports.js';
import type { DefenceSettings } from '../../config.js';
import { SignetError } from '../errors.js';
import { KnownRefusals } from './refusals.js';

function exhausted(retryAfterSeconds: number, scope: string): SignetError {
  return new SignetError('resource_exhausted', { retryAfterSeconds: Math.max(1, retryAfterSeconds), metadata: { scope } });
}

/**
 * A sign-in or token request's own checks: the rate limits, and the client IP's failed sign-ins
 * (which a password sign-in's block and captcha rules read). The transport makes it as soon as
 * it has the client id; the domain runs it together with its own first Redis work, so that all
 * of it leaves in one write.
 */
export interface Admission {
  /** Throws at once when this instance already knows the request is over a limit (no I/O). */
  refuseKnown(): void;
  /** Counts the request against its limits (once; later calls share the answer). Rejects with resource_exhausted. */
  limits(): Promise<void>;
  /** The client IP's failed sign-ins in the current window (read once). */
  ipFailures(): Promise<number>;
}

export class RateLimiter {
  private readonly known = new KnownRefusals();

  constructor(private readonly kv: ScriptableKeyValueStore, private readonly s: DefenceSettings) {}

  admit(ip: string, clientId: string): Admission {
    let limits: Promise<void> | undefined;
    let failures: Promise<number> | undefined;
    return {
      refuseKnown: () => {
        this.refuseKnownRequest(ip, clientId);
        this.refuseKnownIpBlock(ip);
      },
      limits: () => {
        if (!limits) {
          limits = this.checkRequest(ip, clientId);
          // A request that fails before it waits for its limits must not leave a rejection unobserved.
          limits.catch(() => undefined);
        }
        return limits;
      },
      ipFailures: () => (failures ??= this.ipFailures(ip)),
    };
  }

  /** Sign-in and token requests: per client IP and per client, per minute. */
  async checkRequest(ip: string, clientId: string): Promise<void> {
    this.refuseKnownRequest(ip, clientId);
    const end = (Math.floor(Date.now() / 60_000) + 1) * 60_000;
    const checks: Promise<void>[] = [];
    for (const [scope, id, limit] of this.requestLimits(ip, clientId)) {
      const key = requestKey(scope, id, end);
      checks.push(this.kv.incr(key, 61).then((n) => {
        if (n <= limit) return;
        this.known.remember(key, end);
        throw exhausted(secondsUntil(end), scope);
      }));
    }
    await Promise.all(checks);
  }

  /** Failed sign-ins from this IP in the current window (read only). */
  async ipFailures(ip: string): Promise<number> {
    if (!ip || (this.s.ipFailuresCaptcha === 0 && this.s.ipFailuresBlock === 0)) return 0;
    return Number((await this.kv.get(this.ipFailureWindow(ip).key)) ?? 0);
  }

  /** Refuses an IP past the block threshold (for the rest of the window). */
  checkIpFailures(ip: string, failures: number): void {
    if (this.s.ipFailuresBlock > 0 && failures >= this.s.ipFailuresBlock) {
      const w = this.ipFailureWindow(ip);
      this.known.remember(w.key, w.end);
      throw exhausted(secondsUntil(w.end), 'ip_failures');
    }
  }

  needsCaptchaForIp(failures: number): boolean {
    return this.s.ipFailuresCaptcha > 0 && failures >= this.s.ipFailuresCaptcha;
  }

  async recordIpFailure(ip: string): Promise<void> {
    if (ip && (this.s.ipFailuresCaptcha > 0 || this.s.ipFailuresBlock > 0)) {
      await this.kv.incr(this.ipFailureWindow(ip).key, this.s.ipFailureWindowSeconds);
    }
  }

  private requestLimits(ip: string, clientId: string): Array<[scope: string, id: string, limit: number]> {
    const limits: Array<[string, string, number]> = [];
    if (this.s.ipPerMinute > 0 && ip) limits.push(['ip', ip, this.s.ipPerMinute]);
    if (this.s.clientPerMinute > 0 && clientId) limits.push(['client', clientId, this.s.clientPerMinute]);
    return limits;
  }

  private refuseKnownRequest(ip: string, clientId: string): void {
    const end = (Math.floor(Date.now() / 60_000) + 1) * 60_000;
    for (const [scope, id] of this.requestLimits(ip, clientId)) {
      const left = this.known.remaining(requestKey(scope, id, end));
      if (left > 0) throw exhausted(left, scope);
    }
  }

  private refuseKnownIpBlock(ip: string): void {
    if (!ip || this.s.ipFailuresBlock === 0) return;
    const left = this.known.remaining(this.ipFailureWindow(ip).key);
    if (left > 0) throw exhausted(left, 'ip_failures');
  }

  private ipFailureWindow(ip: string): { key: string; end: number } {
    const ms = this.s.ipFailureWindowSeconds * 1000;
    const window = Math.floor(Date.now() / ms);
    return { key: `ipf:{${ip}}:${window}`, end: (window + 1) * ms };
  }
}

/** The key of a one-minute window, named by its minute (as before: rl:<scope>:{id}:<minute>). */
const requestKey = (scope: string, id: string, windowEnd: number) => `rl:${scope}:{${id}}:${windowEnd / 60_000 - 1}`;

const secondsUntil = (ms: number) => Math.ceil((ms - Date.now()) / 1000);
