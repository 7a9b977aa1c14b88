// The dependencies seen from outside the domain: every storage port (PostgreSQL), shared-state port
// (Redis or the in-process store) and argon2 computation counts its failures and, when tracing is
// on, becomes a child span of the request ("db users.findByLogin", "kv lockout.fail", "argon2
// verify"). The domain is untouched: it gets wrapped ports and a hasher hook.
import type { Attributes } from '@opentelemetry/api';
import { isSignetError } from '../domain/errors.js';
import type { AuditLog } from '../domain/audit.js';
import type { HashInstrument } from '../domain/accounts/passwords.js';
import type { SharedStores, Storage } from '../domain/ports.js';
import type { CallObserver } from './calls.js';
import type { CounterCell } from './families.js';

type AnyFn = (...args: unknown[]) => unknown;

interface WrapOptions {
  /** Span name prefix: "db", "kv". */
  kind: string;
  attributes: Attributes;
  /** Counted when a call fails for a reason of the dependency's (not a refusal of the domain's). */
  errors: CounterCell;
  /** "repo.method" run outside any request's trace (background writes). */
  detached?: ReadonlySet<string>;
}

/**
 * Refusals (a duplicate, a missing row) are answers, not failures of the dependency; what is not
 * a SignetError, or was turned into `unavailable` / `internal`, is.
 */
function dependencyFailed(err: unknown): boolean {
  return !isSignetError(err) || err.reason === 'unavailable' || err.reason === 'internal';
}

/** Every method of `port` (own and inherited), wrapped; other properties read through. */
function wrapPort<T extends object>(port: T, name: string, obs: CallObserver, o: WrapOptions): T {
  const out = Object.create(port) as Record<string, unknown>;
  const onError = (err: unknown) => {
    if (dependencyFailed(err)) o.errors.value++;
  };
  for (const method of methodsOf(port)) {
    const fn = (port as Record<string, AnyFn>)[method];
    const op = `${name}.${method}`;
    const plain = (...args: unknown[]) => {
      const p = fn.apply(port, args);
      if (p instanceof Promise) p.then(undefined, onError);
      return p;
    };
    if (!obs.tracer || o.detached?.has(op)) {
      out[method] = plain;
      continue;
    }
    const spanName = `${o.kind} ${op}`;
    const attributes: Attributes = { ...o.attributes, 'db.operation.name': op };
    out[method] = (...args: unknown[]) => obs.child(spanName, attributes, () => Promise.resolve(plain(...args)));
  }
  return out as T;
}

function methodsOf(o: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = o; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k !== 'constructor' && typeof (o as Record<string, unknown>)[k] === 'function') names.add(k);
    }
  }
  return [...names];
}

function wrapEach<T extends object>(ports: T, obs: CallObserver, o: WrapOptions): T {
  const out = { ...ports } as Record<string, unknown>;
  for (const [name, port] of Object.entries(ports)) {
    if (port !== null && typeof port === 'object') out[name] = wrapPort(port, name, obs, o);
  }
  return out as T;
}

/** The PostgreSQL (or PGlite) storage ports. The audit trail's batch writes are background work. */
export function observeStorage(storage: Storage, obs: CallObserver, system: string): Storage {
  return wrapEach(storage, obs, {
    kind: 'db',
    attributes: { 'db.system.name': system },
    errors: obs.metrics.dbQueryErrors,
    detached: new Set(['audit.append', 'audit.purge']),
  });
}

/** The shared-state ports; a captcha challenge stored is a captcha issued. */
export function observeStores(stores: SharedStores, obs: CallObserver, system: string): SharedStores {
  const out = wrapEach(stores, obs, { kind: 'kv', attributes: { 'db.system.name': system }, errors: obs.metrics.redisCommandErrors });
  const save = out.captcha.saveChallenge.bind(out.captcha);
  out.captcha.saveChallenge = async (...args) => {
    await save(...args);
    obs.metrics.captchaIssued();
  };
  return out;
}

/** The hasher's hook: each argon2 computation timed, and a span when tracing. */
export function argon2Instrument(obs: CallObserver): HashInstrument {
  const { metrics } = obs;
  const attributes: Record<'hash' | 'verify', Attributes> = {
    hash: { 'signet.argon2.op': 'hash' },
    verify: { 'signet.argon2.op': 'verify' },
  };
  const timed = async <T>(op: 'hash' | 'verify', task: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await task();
    } finally {
      metrics.argon2Observe(op, (performance.now() - started) / 1000);
    }
  };
  if (!obs.tracer) return timed;
  return (op, task) => obs.child(`argon2 ${op}`, attributes[op], () => timed(op, task));
}

/** Counts each audit event as it is recorded (before it is buffered), by event and reason. */
export function countAudit(audit: AuditLog, obs: CallObserver): void {
  const record = audit.record.bind(audit);
  audit.record = (e) => {
    obs.metrics.audited(e);
    record(e);
  };
}
