// What this instance has seen it must refuse, and until when: an IP or client over its rate
// limit for the rest of the minute, an IP past its failure threshold for the rest of the window,
// an identifier whose account is locked. Refusals known here are answered without the database,
// so the checks of an ordinary request can wait to share one Redis write with its lockout
// reservation (request-checks.ts) without letting a flood against a refused key reach the database.
// Bounded: a flood of distinct keys evicts the oldest entries, which only costs I/O again.

const MAX_ENTRIES = 10_000;

export class KnownRefusals {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Seconds the refusal still lasts (rounded up), 0 when none is known. */
  remaining(key: string): number {
    const end = this.until.get(key);
    if (end === undefined) return 0;
    const left = Math.ceil((end - this.now()) / 1000);
    if (left > 0) return left;
    this.until.delete(key);
    return 0;
  }

  remember(key: string, endMs: number): void {
    if (endMs <= this.now()) return;
    this.until.delete(key);
    if (this.until.size >= MAX_ENTRIES) this.evict();
    this.until.set(key, endMs);
  }

  forget(key: string): void {
    this.until.delete(key);
  }

  private evict(): void {
    const now = this.now();
    for (const [k, end] of this.until) if (end <= now) this.until.delete(k);
    // Still full: drop the oldest tenth (a Map keeps insertion order).
    let drop = this.until.size >= MAX_ENTRIES ? Math.ceil(MAX_ENTRIES / 10) : 0;
    for (const k of this.until.keys()) {
      if (drop-- <= 0) break;
      this.until.delete(k);
    }
  }
}
