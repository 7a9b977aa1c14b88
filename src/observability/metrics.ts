// Prometheus metrics, served at GET /metrics on the admin HTTP listener. One registry per running
// Signet (tests start several in one process). Labels name RPCs, dialects, reasons, channels and
// event names only: never a user, a client, an IP or anything a request carries.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { AuditEventInput } from '../domain/ports.js';
import { BoundedCells, CounterFamily, HistogramFamily, type CounterCell, type HistogramCell } from './families.js';

/** How a request arrived: gRPC, the REST transcoding, the HZERO dialect, the hosted pages (and others' routes). */
export type Dialect = 'grpc' | 'rest' | 'hzero' | 'pages' | 'http';

/** The counters and latency of one RPC (or route) of one dialect, bound once. */
export interface RpcCells {
  readonly dialect: Dialect;
  /** "signet.auth.v1.AuthService/SignIn", or "POST /oauth/oauth/token" for a hand-written route. */
  readonly rpc: string;
  readonly latency: HistogramCell;
  readonly byReason: BoundedCells<CounterCell>;
}

/** Read at scrape time; each is optional (PGlite has no pool, the in-process store no Redis). */
export interface MetricSources {
  argon2?: { readonly queued: number; readonly active: number };
  audit?: { backlog(): number; dropped?(): number };
  dbPool?: { readonly totalCount: number; readonly idleCount: number; readonly waitingCount: number };
  /** ioredis' client status ("ready" when connected). */
  redisStatus?: () => string;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ARGON2_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new CounterFamily(
    'signet_requests_total',
    'Requests answered, by RPC, dialect and reason ("ok" for a success).',
    ['dialect', 'rpc', 'reason'],
    this.registry,
  );
  private readonly latency = new HistogramFamily(
    'signet_request_duration_seconds',
    'Time from a request arriving to its answer, by RPC and dialect.',
    ['dialect', 'rpc'],
    LATENCY_BUCKETS,
    this.registry,
  );
  private readonly rpcs = new Map<Dialect, Map<string, RpcCells>>();

  private readonly auditEvents = this.eventCounter('signet_audit_events_total', 'Audit events recorded, by event.', 'event');
  private readonly signIns = this.eventCounter('signet_sign_ins_total', 'Successful sign-ins, by how they arrived.', 'method');
  private readonly signInFailures = this.eventCounter('signet_sign_in_failures_total', 'Failed sign-ins, by reason.', 'reason');
  private readonly codesSent = this.eventCounter('signet_codes_sent_total', 'Verification codes sent, by channel.', 'channel');
  private readonly lockouts = this.counter('signet_lockouts_total', 'Accounts (or identifiers) locked after repeated failures.');
  private readonly captchasIssued = this.counter('signet_captchas_issued_total', 'Image captcha challenges issued.');
  private readonly captchaFailures = this.counter('signet_captcha_failures_total', 'Requests refused for a wrong or spent captcha.');

  private readonly argon2Family = new HistogramFamily(
    'signet_argon2_duration_seconds',
    'Time of one argon2 computation (after its wait for a free slot), by operation.',
    ['op'],
    ARGON2_BUCKETS,
    this.registry,
  );
  private readonly argon2 = { hash: this.argon2Family.bind('hash'), verify: this.argon2Family.bind('verify') };

  private readonly dbErrors = new CounterFamily(
    'signet_db_errors_total',
    'Failed database operations (query: a storage call; connection: an idle connection lost).',
    ['kind'],
    this.registry,
  );
  readonly dbQueryErrors = this.dbErrors.bind('query');
  readonly dbConnectionErrors = this.dbErrors.bind('connection');
  private readonly redisErrors = new CounterFamily(
    'signet_redis_errors_total',
    'Failed key-value store operations (command) and Redis connection errors (connection).',
    ['kind'],
    this.registry,
  );
  readonly redisCommandErrors = this.redisErrors.bind('command');
  readonly redisConnectionErrors = this.redisErrors.bind('connection');

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The cells of one RPC; bind once per route (the map lookup is for routes bound lazily). */
  rpc(dialect: Dialect, rpc: string): RpcCells {
    let byRpc = this.rpcs.get(dialect);
    if (!byRpc) {
      byRpc = new Map();
      this.rpcs.set(dialect, byRpc);
    }
    let cells = byRpc.get(rpc);
    if (!cells) {
      cells = {
        dialect,
        rpc,
        latency: this.latency.bind(dialect, rpc),
        byReason: new BoundedCells((reason) => this.requests.bind(dialect, rpc, reason)),
      };
      byRpc.set(rpc, cells);
    }
    return cells;
  }

  /** One answered request. */
  answered(cells: RpcCells, reason: string, seconds: number): void {
    cells.byReason.get(reason).value++;
    this.latency.observe(cells.latency, seconds);
    if (reason === 'captcha_invalid') this.captchaFailures.inc();
  }

  /** Every audit event passes here: the security counters are read off the audit stream. */
  audited(e: AuditEventInput): void {
    this.auditEvents.get(e.event).value++;
    switch (e.event) {
      case 'sign_in':
        this.signIns.get(e.reason ?? 'unknown').value++;
        break;
      case 'sign_in_failed':
        this.signInFailures.get(e.reason ?? 'unknown').value++;
        break;
      case 'lock':
        this.lockouts.inc();
        break;
      case 'code_sent':
        this.codesSent.get(e.reason ?? 'unknown').value++;
        break;
    }
  }

  argon2Observe(op: 'hash' | 'verify', seconds: number): void {
    this.argon2Family.observe(this.argon2[op], seconds);
  }

  captchaIssued(): void {
    this.captchasIssued.inc();
  }

  /** The text exposition format, and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }

  private eventCounter(name: string, help: string, label: string): BoundedCells<CounterCell> {
    const family = new CounterFamily(name, help, [label], this.registry);
    return new BoundedCells((value) => family.bind(value));
  }

  /** Gauges read from the dependencies at scrape time; once, when they exist. */
  watch(s: MetricSources): void {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    const { argon2, audit, dbPool, redisStatus } = s;
    if (argon2) {
      gauge('signet_argon2_queue_depth', 'argon2 computations waiting for a free slot.', () => argon2.queued);
      gauge('signet_argon2_active', 'argon2 computations running.', () => argon2.active);
    }
    if (audit) {
      gauge('signet_audit_backlog', 'Audit events recorded but not yet written to the database.', () => audit.backlog());
      const dropped = audit.dropped?.bind(audit);
      if (dropped) {
        let seen = 0;
        new Counter({
          name: 'signet_audit_dropped_total',
          help: 'Audit events given up on (the database stayed away longer than the buffer lasts).',
          registers: [this.registry],
          collect() {
            const now = dropped();
            if (now > seen) this.inc(now - seen);
            seen = Math.max(seen, now);
          },
        });
      }
    }
    if (dbPool) {
      new Gauge({
        name: 'signet_db_pool_connections',
        help: 'PostgreSQL pool connections, by state.',
        labelNames: ['state'],
        registers: [this.registry],
        collect() {
          this.set({ state: 'idle' }, dbPool.idleCount);
          this.set({ state: 'busy' }, dbPool.totalCount - dbPool.idleCount);
        },
      });
      gauge('signet_db_pool_waiting', 'Queries waiting for a free PostgreSQL connection.', () => dbPool.waitingCount);
    }
    if (redisStatus) gauge('signet_redis_up', '1 while the Redis connection is ready.', () => (redisStatus() === 'ready' ? 1 : 0));
  }
}
