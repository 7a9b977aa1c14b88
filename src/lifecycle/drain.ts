// The order of a stop, the same whatever asked for it (a signal, a test, the bench):
//   1. announce: readiness and gRPC health turn false, so probes see it before anything closes,
//      and HTTP answers say `Connection: close`, so keep-alive clients reconnect elsewhere;
//   2. the delay (SIGNET_SHUTDOWN_DELAY_MS): keep accepting while load balancers notice;
//   3. stop accepting and drain: gRPC sends GOAWAY, calls in flight finish, up to the grace time
//      (SIGNET_SHUTDOWN_GRACE_MS);
//   4. cut whatever is left, then release: audit flushed, Redis and the database closed.
// A forced stop (the third signal) skips what remains of 2 and 3.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

export interface DrainSteps {
  announce(): void;
  /** Stops accepting; resolves when every connection has finished its calls and closed. */
  stopAccepting(): Promise<void>;
  /** Closes every connection still open. */
  cut(): void;
  /** Flushes and closes what the listeners used. */
  release(): Promise<void>;
}

export interface DrainTimes {
  delayMs: number;
  graceMs: number;
}

export interface Stopper {
  /** Starts the stop (or joins the one under way); `force` cuts its waits short. */
  close(opts?: { force?: boolean }): Promise<void>;
}

export function stopper(steps: DrainSteps, times: DrainTimes, log: Logger): Stopper {
  const forced = new AbortController();
  let closing: Promise<void> | undefined;

  const run = async () => {
    steps.announce();
    await sleep(times.delayMs, undefined, { signal: forced.signal }).catch(() => undefined);
    // Ends the grace timer once drained, so that no timer outlives the stop.
    const drainedInTime = new AbortController();
    const outcome = await Promise.race([
      steps.stopAccepting().then(() => 'drained'),
      sleep(times.graceMs, 'grace time over', { signal: AbortSignal.any([forced.signal, drainedInTime.signal]) }).catch(() => 'forced'),
    ]);
    drainedInTime.abort();
    if (outcome !== 'drained') log.warn({ outcome }, 'cutting the connections still open');
    steps.cut();
    await steps.release();
    log.info('signet stopped');
  };

  return {
    close(opts = {}) {
      if (opts.force) forced.abort();
      closing ??= run();
      return closing;
    },
  };
}
