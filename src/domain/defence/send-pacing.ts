// A send suppressed under hide_unknown_users (no such user: no message leaves) must not answer
// faster than a real one, or the answer time tells what the policy hides: a webhook sender takes
// hundreds of milliseconds, a suppressed send none. So real sends are timed, and a suppressed one
// waits about as long as they have lately taken. This removes the gross difference; a patient
// statistician comparing distributions may still tell them apart, which is why is_user, the
// limits and the attempt counting behave identically as well (codes.ts).
import type { CodeSender } from '../senders.js';

/** Weight of the newest send in the running estimate. */
const ALPHA = 0.2;
/** No wait beyond this, whatever a sender did once. */
const MAX_WAIT_MS = 10_000;

export class SendPacing {
  private typicalMs: number | undefined;

  observe(ms: number): void {
    const x = Math.min(Math.max(ms, 0), MAX_WAIT_MS);
    this.typicalMs = this.typicalMs === undefined ? x : this.typicalMs + ALPHA * (x - this.typicalMs);
  }

  /** The wait of a suppressed send: the typical send time, spread ±25% so it is not a constant. */
  waitMs(random: () => number = Math.random): number {
    return (this.typicalMs ?? 0) * (0.75 + random() * 0.5);
  }
}

const pacings = new WeakMap<CodeSender, SendPacing>();

export function pacingOf(sender: CodeSender): SendPacing {
  let p = pacings.get(sender);
  if (!p) {
    p = new SendPacing();
    pacings.set(sender, p);
  }
  return p;
}
