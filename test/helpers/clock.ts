/** A clock that moves only when told: expiries and windows are decided by the test, not by load. */
export class FakeClock {
  constructor(private ms = 1_700_000_000_000) {}

  /**
   * A clock near the real time (a server's tokens and sessions stay valid where storage compares
   * them with its own clock), pinned 30 s into its minute: a per-minute window cannot roll over
   * while a test counts requests, however slow the machine.
   */
  static midMinute(): FakeClock {
    return new FakeClock(Math.floor(Date.now() / 60_000) * 60_000 + 30_000);
  }

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
