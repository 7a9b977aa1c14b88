// The one source of time the domain reads. Production passes systemClock; tests pass a FakeClock
// (test/helpers/clock.ts) and move time on instead of sleeping, so that windows, expiries and
// lock durations are decided by the test, not by how busy the machine is.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
