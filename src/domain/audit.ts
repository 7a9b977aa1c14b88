// The audit trail. Events are buffered and written in batches: one multi-row insert per flush
// keeps auditing off the latency of sign-ins and token grants. While the database is away
// (storage says `unavailable`) events are kept and the write is retried with backoff, so an
// outage loses nothing until the backlog reaches its bound; past it new events are dropped,
// logged and counted. A batch refused for any other reason would be refused forever: it is
// dropped the same way. A crash loses what is buffered; SIGTERM flushes. A write whose answer
// was lost with its connection may have landed: it is retried, so an event can be written twice.
import type { Logger } from 'pino';
import type { AuditEventInput, AuditRepository } from './ports.js';
import type { Clock } from './clock.js';
import { isUnavailable } from './errors.js';

export interface AuditOptions {
  /** How long an event waits for others to share its write. Default 250 ms. */
  flushMs?: number;
  /** Events per write. Default 500. */
  maxBatch?: number;
  /** Events kept while writes fail; past it new events are dropped. Default 50 000. */
  maxBacklog?: number;
  /** The longest pause between retries of a failed write (backoff doubles up to it). Default 4000 ms. */
  retryMaxMs?: number;
}

type Stamped = AuditEventInput & { time: Date };

const RETRY_FIRST_MS = 250;
/** A drop is logged at most this often (with the count so far). */
const DROP_LOG_MS = 10_000;

export class AuditLog {
  private queue: Stamped[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Consecutive failed writes; while > 0 the retry timer owns the next write. */
  private failures = 0;
  private droppedTotal = 0;
  private dropLoggedAt = -Infinity;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly maxBacklog: number;
  private readonly retryMaxMs: number;

  constructor(
    private readonly repo: AuditRepository,
    private readonly log: Logger,
    private readonly clock: Clock,
    opts: AuditOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? 250;
    this.maxBatch = opts.maxBatch ?? 500;
    this.maxBacklog = opts.maxBacklog ?? 50_000;
    this.retryMaxMs = opts.retryMaxMs ?? 4000;
  }

  record(e: AuditEventInput): void {
    if (this.queue.length >= this.maxBacklog) {
      this.drop(1, 'audit backlog full: event dropped');
      return;
    }
    this.queue.push({ ...e, time: new Date(this.clock.now()) });
    if (this.failures > 0) return;
    if (this.queue.length >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  /** Events waiting to be written (the backlog while the database is away). */
  backlog(): number {
    return this.queue.length;
  }

  /** Events dropped since start: backlog full, or refused by the database for good. */
  dropped(): number {
    return this.droppedTotal;
  }

  /**
   * Writes what is buffered; resolves when it (and any write before it) is done, written or not:
   * what the database could not take stays queued for the retry.
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.writeQueued());
    return this.writing;
  }

  /** Deletes events past the retention; run periodically. */
  async purge(retentionDays: number): Promise<void> {
    try {
      const n = await this.repo.purge(new Date(this.clock.now() - retentionDays * 86400_000));
      if (n > 0) this.log.info({ deleted: n }, 'audit retention');
    } catch (err) {
      this.log.warn({ err }, 'audit retention failed');
    }
  }

  /** What was queued when the pass began, batch by batch; later events wait for their own flush. */
  private async writeQueued(): Promise<void> {
    let left = this.queue.length;
    while (left > 0) {
      const batch = this.queue.slice(0, Math.min(left, this.maxBatch));
      try {
        await this.repo.append(batch);
      } catch (err) {
        if (isUnavailable(err)) return this.retryLater(err);
        this.queue.splice(0, batch.length);
        left -= batch.length;
        this.drop(batch.length, 'audit write refused: events dropped', err);
        continue;
      }
      this.queue.splice(0, batch.length);
      left -= batch.length;
      if (this.failures > 0) {
        this.log.info({ failedWrites: this.failures, backlog: this.queue.length }, 'audit writes resumed');
        this.failures = 0;
        // The backlog that built up is written now, not a flush interval at a time.
        if (this.queue.length > left) left = this.queue.length;
      }
    }
  }

  private retryLater(err: unknown): void {
    this.failures++;
    const delay = Math.min(this.retryMaxMs, RETRY_FIRST_MS * 2 ** (this.failures - 1));
    this.log.error({ err, backlog: this.queue.length, attempt: this.failures, retryInMs: delay }, 'audit write failed; kept for retry');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delay).unref();
  }

  private drop(n: number, message: string, err?: unknown): void {
    this.droppedTotal += n;
    const now = this.clock.now();
    if (err === undefined && now - this.dropLoggedAt < DROP_LOG_MS) return;
    this.dropLoggedAt = now;
    this.log.error({ err, dropped: n, droppedTotal: this.droppedTotal, backlog: this.queue.length }, message);
  }
}
