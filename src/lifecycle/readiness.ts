// Whether this instance should be sent traffic: what /readyz and grpc.health.v1.Health report.
// Probes are cheap, bounded by a short timeout and shared: a storm of probes from a load balancer
// costs one round of checks per second. Once the drain has begun the answer is "no" at once,
// whatever the dependencies say.
import type { Clock } from '../domain/clock.js';

export interface ReadinessCheck {
  /** Named in the report: `database`, `redis`, … */
  name: string;
  /** Resolves to 'ok' or a short word saying what is wrong ('pending'); a rejection reads 'unreachable'. */
  probe(): Promise<string>;
}

export interface ReadinessReport {
  ready: boolean;
  /** The checks that are not 'ok', or ['draining']. */
  failed: string[];
  /** Every check's state: 'ok', 'unreachable', 'timeout', or the probe's own word. */
  checks: Record<string, string>;
}

export interface ReadinessOptions {
  /** How long a report is reused. */
  cacheMs?: number;
  /** A probe slower than this fails with 'timeout' (load balancers give up after about 1 s). */
  timeoutMs?: number;
}

const DRAINING: ReadinessReport = Object.freeze({ ready: false, failed: ['draining'], checks: {} });

export class Readiness {
  private draining = false;
  private cached: { at: number; report: ReadinessReport } | undefined;
  private running: Promise<ReadinessReport> | undefined;
  private lastReady: boolean | undefined;
  private readonly listeners = new Set<(ready: boolean) => void>();
  private readonly cacheMs: number;
  private readonly timeoutMs: number;
  private refresher: NodeJS.Timeout | undefined;

  constructor(
    private readonly checks: ReadinessCheck[],
    private readonly clock: Clock,
    opts: ReadinessOptions = {},
  ) {
    this.cacheMs = opts.cacheMs ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 500;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Not ready from now on; listeners hear it before this returns. */
  drain(): void {
    this.draining = true;
    clearInterval(this.refresher);
    this.changed(false);
  }

  async report(): Promise<ReadinessReport> {
    if (this.draining) return DRAINING;
    const c = this.cached;
    if (c && this.clock.now() - c.at < this.cacheMs) return c.report;
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Called with the new state whenever readiness changes (the gRPC health watchers). */
  onChange(listener: (ready: boolean) => void): void {
    this.listeners.add(listener);
  }

  /** Re-checks every `ms` so that watchers learn of a failure nobody probed for. */
  refreshEvery(ms: number): void {
    clearInterval(this.refresher);
    if (this.draining) return;
    this.refresher = setInterval(() => void this.report(), ms).unref();
  }

  private async run(): Promise<ReadinessReport> {
    const states = await Promise.all(this.checks.map((c) => this.probe(c)));
    const checks = Object.fromEntries(this.checks.map((c, i) => [c.name, states[i]]));
    const failed = this.checks.filter((_, i) => states[i] !== 'ok').map((c) => c.name);
    if (this.draining) return DRAINING;
    const report: ReadinessReport = { ready: failed.length === 0, failed, checks };
    this.cached = { at: this.clock.now(), report };
    this.changed(report.ready);
    return report;
  }

  private async probe(check: ReadinessCheck): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    try {
      return await Promise.race([check.probe().catch(() => 'unreachable'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private changed(ready: boolean): void {
    if (ready === this.lastReady) return;
    this.lastReady = ready;
    for (const l of this.listeners) l(ready);
  }
}
