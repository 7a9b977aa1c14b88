// Failed-password lockout. The classic bug is the parallel bypass: many concurrent guesses all
// read "4 failures" and all get to compare a password. Here an attempt must first take a place
// in one atomic step, and places are limited to what is left of the budget: failures so far plus
// attempts in flight never exceed the maximum. So no more than `max` passwords are ever compared
// before the lock, however many requests arrive at once and on however many instances; the
// extra ones are told to retry. Confirmed failures and attempts in flight are counted apart, so
// a burst of *right* passwords cannot lock an account. Each step is one atomic operation of the
// LockoutStore (storage/kv/lockout.ts).
import type { LockoutStore, LockoutSubject } from '../ports.js';
import type { Clock } from '../clock.js';
import { SignetError } from '../errors.js';
import type { EffectivePolicy } from './policy.js';
import { KnownRefusals } from './refusals.js';

/** Failures are "consecutive" within this window; a success or an unlock resets them. */
const FAILURE_WINDOW_SECONDS = 86400;
/** An attempt whose process died mid-compare frees its place after this. */
const PENDING_TTL_SECONDS = 30;
/**
 * How long the store may hold back the place a successful attempt gives back (see succeeded):
 * the place is then held this much longer, which only ever makes the budget stricter.
 */
const RELEASE_HOLD_MS = 250;

/** Whose failures count: the user, or for an unknown user the identifier (so it locks too). */
export type Subject = LockoutSubject;

export function lockedError(seconds: number, detail = 'locked'): SignetError {
  return new SignetError('invalid_status', detail, { retryAfterSeconds: seconds, metadata: { locked: 'true' } });
}

/** A place taken for one comparison: the consecutive failures so far, and the attempts in flight (this one included). */
export interface Place {
  failures: number;
  inFlight: number;
}

export interface Failure {
  /** Consecutive failures, this one included. */
  failures: number;
  /** Seconds the account is now locked for; 0 when this failure did not lock it. */
  lockedFor: number;
}

export class Lockout {
  private readonly known: KnownRefusals;

  constructor(
    private readonly store: LockoutStore,
    private readonly clock: Clock,
  ) {
    this.known = new KnownRefusals(() => clock.now());
  }

  /** Consecutive failures so far (for the captcha threshold); reads only. */
  failures(s: Subject): Promise<number> {
    return this.store.failures(s);
  }

  /**
   * Takes a place for one password comparison. Throws invalid_status (with RetryInfo) when the
   * subject is locked, and resource_exhausted (retry in a second) when the attempts already in
   * flight use up what is left of the budget.
   */
  async reserve(s: Subject, p: EffectivePolicy): Promise<Place> {
    const r = await this.store.reserve(s, p.maxFailedAttempts, PENDING_TTL_SECONDS);
    if (r.outcome === 'locked') throw lockedError(r.seconds);
    if (r.outcome === 'busy')
      throw new SignetError('resource_exhausted', 'attempts_in_flight', {
        retryAfterSeconds: 1,
        metadata: { scope: 'attempts_in_flight' },
      });
    return { failures: r.failures, inFlight: r.inFlight };
  }

  /** The compared password was wrong: count it, and lock at the limit. */
  fail(s: Subject, p: EffectivePolicy): Promise<Failure> {
    return this.store.fail(s, p.maxFailedAttempts, p.lockSeconds, FAILURE_WINDOW_SECONDS);
  }

  /**
   * A success: gives the place back and clears the failures. In the common case (no failures
   * before, budget to spare) only the place is given back, and the store may hold that back
   * briefly to send it with its next command, which takes a store write off a successful
   * sign-in. Holding a place longer only ever makes the budget stricter, and with budget to
   * spare it refuses no one; failures are cleared at once, so a user who just signed in never
   * meets a stale count, and a held update never clears failures counted after the success.
   */
  async succeeded(s: Subject, place: Place, p: EffectivePolicy): Promise<void> {
    if (place.failures > 0 || place.failures + place.inFlight >= p.maxFailedAttempts - 1) return this.release(s, place.failures > 0);
    this.store.releaseSoon(s, RELEASE_HOLD_MS);
  }

  /** Gives the place back: after a success (the failures are cleared too) or an error. */
  release(s: Subject, success: boolean): Promise<void> {
    return this.store.release(s, success);
  }

  /** An operator's unlock: the count starts again. */
  reset(s: Subject): Promise<void> {
    return this.store.reset(s);
  }

  /**
   * The lock as seen from the identifier a client typed, before any database lookup, so that a
   * locked account under attack costs one key read. Only an identifier this instance has seen
   * locked is read (seenLocked): an ordinary sign-in pays nothing here, and its store checks
   * wait to share one write with the reservation. The read confirms the lock, which an operator
   * may have lifted through another instance.
   */
  seenLocked(tenantId: string, identifier: string): boolean {
    return this.known.remaining(knownKey(tenantId, identifier)) > 0;
  }

  /** Throws invalid_status while the lock seen lasts; forgets it once it is gone. */
  async confirmLock(tenantId: string, identifier: string): Promise<void> {
    const until = await this.store.identifierLockEnd(tenantId, identifier);
    const left = Math.ceil((until - this.clock.now()) / 1000);
    if (left > 0) throw lockedError(left, 'lock_confirmed');
    this.known.forget(knownKey(tenantId, identifier));
  }

  /** Marks the lock under the identifier typed, until its end. */
  async rememberLock(tenantId: string, identifier: string, seconds: number): Promise<void> {
    const end = this.clock.now() + seconds * 1000;
    this.known.remember(knownKey(tenantId, identifier), end);
    await this.store.markIdentifierLock(tenantId, identifier, end, seconds);
  }

  async forgetLocks(tenantId: string, identifiers: string[]): Promise<void> {
    for (const i of identifiers) this.known.forget(knownKey(tenantId, i));
    await this.store.clearIdentifierLocks(tenantId, identifiers);
  }
}

/** JSON of the pair: no tenant id and identifier can spell another pair's key. */
const knownKey = (tenantId: string, identifier: string) => JSON.stringify([tenantId, identifier]);
