// SIGTERM / SIGINT for `signet serve`. A stop signal usually arrives more than once: a terminal
// and a service manager signal the whole process group, so `npm start` (which also relays what
// it receives to its child) or a shell in front hands the same stop to Signet two or three times
// within milliseconds. Those copies must not cut the drain short; an operator who insists still can.
import type { Logger } from 'pino';

export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * Signals closer than this to the last counted one are copies of the same stop (the relays above
 * answer within milliseconds; this leaves room for a loaded machine).
 */
export const ECHO_WINDOW_MS = 1000;

export interface StopHandlers {
  /** The first signal: start draining. */
  drain(signal: StopSignal): void;
  /** The third distinct signal: stop at once. */
  force(signal: StopSignal): void;
}

/** The part of `process` used here, so that tests can emit signals. */
export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
}

/**
 * Listens for the rest of the process's life (process.on, never once: with no listener left, the
 * next copy would kill the process mid-drain). Returns a function that removes the listeners.
 */
export function handleStopSignals(source: SignalSource, handlers: StopHandlers, log: Logger, now: () => number = Date.now): () => void {
  let counted = 0;
  let last = Number.NEGATIVE_INFINITY;
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => {
      const at = now();
      if (counted > 0 && at - last < ECHO_WINDOW_MS) {
        log.info({ signal }, 'stop signal repeated (process group or relay): the drain goes on');
        return;
      }
      counted++;
      last = at;
      if (counted === 1) {
        log.info({ signal }, 'shutting down');
        handlers.drain(signal);
      } else if (counted === 2) {
        log.warn({ signal }, 'already draining; signal once more to stop at once');
      } else {
        log.warn({ signal }, 'stopping at once: calls still in flight are cut');
        handlers.force(signal);
      }
    };
    source.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) source.off(signal, listener);
  };
}
