// A dependency that fails (PostgreSQL or Redis refused, reset, timed out, its pool exhausted) is
// told apart from a bug here, at the storage boundary, once: the ports rethrow it as
// `unavailable` with RetryInfo, so every transport and dialect answers UNAVAILABLE / 503, which
// clients retry, and the domain can recognise it too (no catch-all may read it as a refusal).
// The driver's error is kept as the cause: logged by the transport, never rendered.
import { SignetError, isSignetError } from '../domain/errors.js';

export type Dependency = 'database' | 'redis';

/** What RetryInfo asks of the client: reconnects are tried at least this often. */
export const RETRY_AFTER_SECONDS = 1;

export function dependencyFailure(dependency: Dependency, cause: unknown): SignetError {
  return new SignetError('unavailable', `${dependency}_unavailable`, { retryAfterSeconds: RETRY_AFTER_SECONDS }, cause);
}

/** A classifier: true when the error means the dependency is away, not that the call was wrong. */
export type FailureTest = (err: unknown) => boolean;

/** Rethrows `err` as `unavailable` when `isDown` says so, untouched otherwise. */
export function classify(dependency: Dependency, isDown: FailureTest, err: unknown): never {
  if (!isSignetError(err) && isDown(err)) throw dependencyFailure(dependency, err);
  throw err;
}

/**
 * The port with every method's failures classified. Methods are wrapped once, up front: ports
 * are plain objects of async methods (the repositories), so the copy is as fast as the original.
 */
export function classifiedPort<T extends object>(port: T, dependency: Dependency, isDown: FailureTest): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(port)) {
    out[name] =
      typeof value === 'function'
        ? (...args: unknown[]) => {
            try {
              const result = (value as (...a: unknown[]) => unknown).apply(port, args);
              return result instanceof Promise ? result.catch((err: unknown) => classify(dependency, isDown, err)) : result;
            } catch (err) {
              classify(dependency, isDown, err);
            }
          }
        : value;
  }
  return out as T;
}

/** Walks an error and what it wraps: Prisma and ioredis both nest the driver's error. */
export function* causes(err: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const o = e as Record<string, unknown>;
    yield o;
    queue.push(o.cause, (o.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError, o.lastNodeError);
    if (Array.isArray(o.errors)) queue.push(...o.errors);
  }
}

/** Socket-level failures: the peer is down, unreachable or cut the connection. */
export const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
