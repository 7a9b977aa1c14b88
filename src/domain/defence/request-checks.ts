// One request's own checks, in one place: the rate limits of its IP and client, the IP's failed
// sign-ins, and, for a password sign-in, the lockout reservation, which all leave in ONE Redis
// write (socket writes are most of what these checks cost: see ratelimit.ts). An endpoint
// begins the checks (beginChecks) as its first step and runs the rest of its steps inside
// guard(), so that no answer, not even a validation error, escapes the limits.
import type { Deps } from '../deps.js';
import { isSignetError } from '../errors.js';
import type { EffectivePolicy } from './policy.js';
import type { Place, Subject } from './lockout.js';
import type { IpFailures } from './ratelimit.js';

/**
 * A sign-in or token request's own checks: the rate limits, and the client IP's failed sign-ins
 * (which a password sign-in's block and captcha rules read). The endpoint begins it as soon as
 * it has the client id; a password sign-in runs the checks with its lockout reservation, so that
 * they leave in one Redis write. Every request is counted, whatever answer it gets: see admitted().
 */
export interface Admission {
  /** Throws at once when this instance already knows the request is over a rate limit (no I/O). */
  refuseKnownLimits(): void;
  /** Throws at once when this instance already knows the client IP is blocked (no I/O). */
  refuseKnownIpBlock(): void;
  /**
   * True when half a limit's worth of requests for this request's IP or client were seen this
   * minute (counted here, or reported by Redis from every instance): then the verdict is awaited
   * before the database is touched, so a burst cannot make every request of it look a user up
   * before being refused.
   */
  busy(): boolean;
  /** Counts the request against its limits (once; later calls share the answer). Rejects with resource_exhausted. */
  limits(): Promise<void>;
  /** The client IP's failed sign-ins in the current window (read once). */
  ipFailures(): Promise<IpFailures>;
}

/** Admit the request: its checks begin (nothing is sent yet; see Admission). */
export function beginChecks(deps: Deps, ip: string, clientId: string): Admission {
  return deps.limiter.admit(ip, clientId);
}

/**
 * Runs a request with its checks: a request that fails before its limits were counted is
 * counted then, and a refusal by the limits wins over the request's own error. So no answer,
 * not even a validation error or a wrong client secret, escapes the rate limits.
 */
export async function admitted<T>(admission: Admission, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    await admission.limits();
    throw err;
  }
}

/** A refusal by the rate limits (never audited: a flood must not fill the table). */
export const isRateLimited = (err: unknown): boolean =>
  isSignetError(err) && err.reason === 'resource_exhausted' && ['ip', 'client'].includes(err.details.metadata?.scope ?? '');

/**
 * Before a password sign-in looks its user up: refusals this instance already knows cost no
 * database lookup (an IP or client over its limit and a blocked IP no I/O at all; a lock it has
 * seen, one Redis read to confirm it, which the request's limits join in the same write), and a
 * burst from one IP or client waits for its verdict.
 */
export async function refuseKnownBeforeLookup(
  deps: Deps,
  checks: Admission,
  policy: EffectivePolicy,
  tenantId: string,
  idKey: string,
): Promise<void> {
  checks.refuseKnownLimits();
  checks.refuseKnownIpBlock();
  if (policy.lockoutEnabled && deps.lockout.seenLocked(tenantId, idKey)) {
    await allInOrder([checks.limits(), deps.lockout.confirmLock(tenantId, idKey)]);
  }
  if (checks.busy()) await checks.limits();
}

/**
 * The request's rate limits and IP failure count, and a place for one password comparison
 * (which also reads the failure count the captcha rule needs), in one Redis write. A request
 * refused by either gives its place back.
 */
export async function admitAndReserve(
  deps: Deps,
  checks: Admission,
  policy: EffectivePolicy,
  subject: Subject,
  tenantId: string,
  idKey: string,
): Promise<{ ipFailures: number; place: Place }> {
  const [limits, ipFailures, reserved] = await Promise.allSettled([
    checks.limits(),
    checks.ipFailures(),
    policy.lockoutEnabled ? reserve(deps, policy, subject, tenantId, idKey) : Promise.resolve(NO_PLACE),
  ]);
  try {
    // The request's own refusals (rate limits, a blocked IP) come before what the account says.
    if (limits.status === 'rejected') throw limits.reason;
    if (ipFailures.status === 'rejected') throw ipFailures.reason;
    deps.limiter.checkIpFailures(ipFailures.value);
    if (reserved.status === 'rejected') throw reserved.reason;
    return { ipFailures: ipFailures.value.count, place: reserved.value };
  } catch (err) {
    if (policy.lockoutEnabled && reserved.status === 'fulfilled') await deps.lockout.release(subject, false);
    throw err;
  }
}

/** Lockout off: no place is taken. */
const NO_PLACE: Place = { failures: 0, inFlight: 0 };

/** Waits for all of them; throws the first failure in their order (not in time). */
async function allInOrder(ps: Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(ps);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
}

async function reserve(deps: Deps, policy: EffectivePolicy, subject: Subject, tenantId: string, idKey: string): Promise<Place> {
  try {
    return await deps.lockout.reserve(subject, policy);
  } catch (err) {
    if (isSignetError(err) && err.reason === 'invalid_status' && err.details.retryAfterSeconds) {
      await deps.lockout.rememberLock(tenantId, idKey, err.details.retryAfterSeconds);
    }
    throw err;
  }
}

/**
 * A request refused before it became a command (malformed fields) is counted all the same, and
 * a refusal by the limits wins over its own error, as inside admitted().
 */
export async function countRefused(deps: Deps, ip: string, clientId: string, err: unknown): Promise<never> {
  await beginChecks(deps, ip, clientId).limits();
  throw err;
}
