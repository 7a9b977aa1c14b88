// Request rate limits in fixed one-minute windows, and the per-IP count of failed sign-ins.
// One INCR per key and request: cheap enough for the token endpoint's hot path. What such checks
// cost is mostly the socket write that carries them (a loopback write wakes Redis, and the
// kernel charges that to the writer), so a password sign-in's checks wait to leave with its
// lockout reservation (see Admission), and refusals already known here cost no write at all
// (refusals.ts). Knowing is exact: within a fixed window a count only grows, so a key over its
// limit stays over it until the window ends.
import type { RateCounters } from '../ports.js';
import type { DefenceSettings } from '../../config.js';
import { SignetError } from '../errors.js';
import { KnownRefusals } from './refusals.js';
import type { Admission } from './request-checks.js';
import type { Clock } from '../clock.js';

function exhausted(retryAfterSeconds: number, scope: string): SignetError {
  return new SignetError('resource_exhausted', `rate_limited_${scope}`, {
    retryAfterSeconds: Math.max(1, retryAfterSeconds),
    metadata: { scope },
  });
}

/** An IP's failed sign-ins in one window, with the window they were read in. */
export interface IpFailures {
  count: number;
  /** This instance's name of the window (known refusals). */
  key: string;
  window: number;
  /** When the window ends (ms). */
  end: number;
}

const SEEN_MAX = 50_000;

export class RateLimiter {
  private readonly known: KnownRefusals;
  /** Requests counted here per limit key in the current minute (see Admission.busy). */
  private seen = new Map<string, number>();
  private seenMinuteEnd = 0;

  constructor(
    private readonly counters: RateCounters,
    private readonly s: DefenceSettings,
    private readonly clock: Clock,
  ) {
    this.known = new KnownRefusals(() => clock.now());
  }

  private minuteEnd(): number {
    return (Math.floor(this.clock.now() / 60_000) + 1) * 60_000;
  }

  private secondsUntil(ms: number): number {
    return Math.ceil((ms - this.clock.now()) / 1000);
  }

  admit(ip: string, clientId: string): Admission {
    const end = this.minuteEnd();
    let busy = false;
    for (const [scope, id, limit] of this.requestLimits(ip, clientId)) {
      if (this.see(requestKey(scope, id, end), end) * 2 > limit) busy = true;
    }
    let limits: Promise<void> | undefined;
    let failures: Promise<IpFailures> | undefined;
    return {
      // Once this request is being counted, Redis answers for it: what others learned since does not.
      refuseKnownLimits: () => {
        if (!limits) this.refuseKnownRequest(ip, clientId);
      },
      refuseKnownIpBlock: () => this.refuseKnownIpBlock(ip),
      busy: () => busy,
      limits: () => {
        if (!limits) {
          limits = this.checkRequest(ip, clientId);
          // A request that fails before it waits for its limits must not leave a rejection unobserved.
          limits.catch(() => undefined);
        }
        return limits;
      },
      ipFailures: () => (failures ??= this.readIpFailures(ip)),
    };
  }

  /** Sign-in, token and code requests: per client IP and per client, per minute. */
  async checkRequest(ip: string, clientId: string): Promise<void> {
    this.refuseKnownRequest(ip, clientId);
    const end = this.minuteEnd();
    const checks: Promise<void>[] = [];
    for (const [scope, id, limit] of this.requestLimits(ip, clientId)) {
      const key = requestKey(scope, id, end);
      checks.push(
        this.counters.hit(`rl:${scope}`, id, minuteOf(end), 61).then((n) => {
          // What every instance counted so far: a burst spread over instances turns busy here too.
          this.seeAtLeast(key, end, n);
          if (n <= limit) return;
          this.known.remember(key, end);
          throw exhausted(this.secondsUntil(end), scope);
        }),
      );
    }
    await Promise.all(checks);
  }

  /** Failed sign-ins from this IP in the current window (read only). */
  async ipFailures(ip: string): Promise<number> {
    return (await this.readIpFailures(ip)).count;
  }

  async readIpFailures(ip: string): Promise<IpFailures> {
    const w = this.ipFailureWindow(ip);
    if (!ip || (this.s.ipFailuresCaptcha === 0 && this.s.ipFailuresBlock === 0)) return { count: 0, ...w };
    return { count: await this.counters.count('ipf', ip, w.window), ...w };
  }

  /** Refuses an IP past the block threshold, for the rest of the window the count was read in. */
  checkIpFailures(f: IpFailures): void {
    if (this.s.ipFailuresBlock > 0 && f.count >= this.s.ipFailuresBlock) {
      this.known.remember(f.key, f.end);
      throw exhausted(this.secondsUntil(f.end), 'ip_failures');
    }
  }

  needsCaptchaForIp(failures: number): boolean {
    return this.s.ipFailuresCaptcha > 0 && failures >= this.s.ipFailuresCaptcha;
  }

  async recordIpFailure(ip: string): Promise<void> {
    if (ip && (this.s.ipFailuresCaptcha > 0 || this.s.ipFailuresBlock > 0)) {
      await this.counters.hit('ipf', ip, this.ipFailureWindow(ip).window, this.s.ipFailureWindowSeconds);
    }
  }

  /**
   * Counts a request locally; the map starts afresh each minute, so it holds one minute's keys,
   * and at most SEEN_MAX of them (a flood of distinct IPs is then simply not told apart as busy).
   */
  private see(key: string, end: number): number {
    if (end !== this.seenMinuteEnd) {
      this.seen = new Map();
      this.seenMinuteEnd = end;
    }
    const before = this.seen.get(key);
    if (before === undefined && this.seen.size >= SEEN_MAX) return 1;
    const n = (before ?? 0) + 1;
    this.seen.set(key, n);
    return n;
  }

  private seeAtLeast(key: string, end: number, n: number): void {
    if (end !== this.seenMinuteEnd || (this.seen.get(key) ?? 0) >= n) return;
    if (!this.seen.has(key) && this.seen.size >= SEEN_MAX) return;
    this.seen.set(key, n);
  }

  private requestLimits(ip: string, clientId: string): Array<[scope: string, id: string, limit: number]> {
    const limits: Array<[string, string, number]> = [];
    if (this.s.ipPerMinute > 0 && ip) limits.push(['ip', ip, this.s.ipPerMinute]);
    if (this.s.clientPerMinute > 0 && clientId) limits.push(['client', clientId, this.s.clientPerMinute]);
    return limits;
  }

  private refuseKnownRequest(ip: string, clientId: string): void {
    const end = this.minuteEnd();
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

  private ipFailureWindow(ip: string): { key: string; window: number; end: number } {
    const ms = this.s.ipFailureWindowSeconds * 1000;
    const window = Math.floor(this.clock.now() / ms);
    return { key: `ipf:${ip}:${window}`, window, end: (window + 1) * ms };
  }
}

/** A one-minute window is numbered by its minute since the epoch. */
const minuteOf = (windowEnd: number) => windowEnd / 60_000 - 1;

/** This instance's name of a limit's window (known refusals, requests seen). */
const requestKey = (scope: string, id: string, windowEnd: number) => `${scope}:${id}:${minuteOf(windowEnd)}`;
