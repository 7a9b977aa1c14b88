// The audit trail. Events are buffered and written in batches: one multi-row insert per flush
// keeps auditing off the latency of sign-ins and token grants. A crash loses at most the last
// flush interval; SIGTERM flushes.
import type { Logger } from 'pino';
import type { AuditEventInput, AuditRepository } from './ports.js';
import type { Clock } from './clock.js';

export class AuditLog {
  private buffer: (AuditEventInput & { time: Date })[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: AuditRepository,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly flushMs = 250,
    private readonly maxBatch = 500,
  ) {}

  record(e: AuditEventInput): void {
    this.buffer.push({ ...e, time: new Date(this.clock.now()) });
    if (this.buffer.length >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  /** Writes what is buffered; resolves when it (and any write before it) is done. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length > 0) {
      this.writing = this.writing.then(() =>
        this.repo.append(batch).catch((err) => this.log.error({ err, lost: batch.length }, 'audit write failed')),
      );
    }
    return this.writing;
  }

  /** Events recorded and not yet handed to the database (the metric signet_audit_backlog). */
  backlog(): number {
    return this.buffer.length;
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
}
