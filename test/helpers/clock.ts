/**
 * Waits out the end of the current minute when less than `marginMs` of it is left, so that a
 * test of per-minute limits never sees its window roll over midway.
 */
export async function clearOfMinuteEnd(marginMs: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** A clock that moves only when told: expiries and windows are decided by the test, not by load. */
export class FakeClock {
  constructor(private ms = 1_700_000_000_000) {}

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
