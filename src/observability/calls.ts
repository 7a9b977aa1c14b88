// One observation per request, started by the transport that received it (gRPC or HTTP) and ended
// when its answer is rendered: counted by RPC, dialect and reason, timed, and, when tracing is on,
// a SERVER span whose parent is the caller's W3C traceparent. With tracing off a call is a start
// time and nothing else: no context switch, no span, no attribute.
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Dialect, Metrics, RpcCells } from './metrics.js';

/** HTTP headers, or gRPC metadata as a record: where traceparent is read from. */
export type Carrier = Record<string, string | string[] | undefined>;

export interface ObservedCall {
  /** Runs fn with the call's span active (so that storage, Redis and argon2 spans are its children). */
  run<T>(fn: () => T): T;
  /** Names the call once routing knows what it is (HTTP routes after the call started). */
  route(rpc: RpcCells): void;
  /**
   * The answer: its reason ("ok" on success), its gRPC code (-1 when the dialect has none) and
   * its HTTP status (0 on gRPC). Call once.
   */
  end(reason: string, code: number, httpStatus: number): void;
}

/** gRPC codes that are the server's fault (OpenTelemetry's rule for server spans). */
const SERVER_FAULTS = new Set([2, 4, 12, 13, 14, 15]);

export class CallObserver {
  private readonly attributes = new WeakMap<RpcCells, Attributes>();

  constructor(
    readonly metrics: Metrics,
    /** Set only when tracing is on. */
    readonly tracer?: Tracer,
  ) {}

  rpc(dialect: Dialect, rpc: string): RpcCells {
    return this.metrics.rpc(dialect, rpc);
  }

  /** `rpc` is what the call is counted as unless route() says otherwise (unrouted requests). */
  start(carrier: Carrier, rpc: RpcCells, httpMethod?: string): ObservedCall {
    return this.tracer ? new TracedCall(this, this.tracer, carrier, rpc, httpMethod) : new TimedCall(this.metrics, rpc);
  }

  /** Span attributes of an RPC: rpc.* for the proto's methods, http.route for hand-written routes. */
  attributesOf(cells: RpcCells): Attributes {
    let a = this.attributes.get(cells);
    if (!a) {
      const slash = cells.rpc.indexOf('/');
      const space = cells.rpc.indexOf(' ');
      a =
        space < 0 && slash > 0
          ? {
              'rpc.system': 'grpc',
              'rpc.service': cells.rpc.slice(0, slash),
              'rpc.method': cells.rpc.slice(slash + 1),
              'signet.dialect': cells.dialect,
            }
          : { 'http.route': space < 0 ? cells.rpc : cells.rpc.slice(space + 1), 'signet.dialect': cells.dialect };
      this.attributes.set(cells, a);
    }
    return a;
  }

  /**
   * A CLIENT span for one dependency call (a storage port, the key-value store, argon2) as a child
   * of the active span; without one (start-up, timers) fn runs unobserved.
   */
  child<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
    const tracer = this.tracer;
    const parent = context.active();
    if (!tracer || !trace.getSpan(parent)) return fn();
    const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    let p: Promise<T>;
    try {
      p = context.with(trace.setSpan(parent, span), fn);
    } catch (err) {
      failed(span, err);
      throw err;
    }
    return p.then(
      (v) => {
        span.end();
        return v;
      },
      (err: unknown) => {
        failed(span, err);
        throw err;
      },
    );
  }
}

/** Ends a failed child span. Only the error's type is recorded: messages may carry SQL or values. */
function failed(span: Span, err: unknown): void {
  const type = err instanceof Error ? (err as { reason?: unknown }).reason || err.name : typeof err;
  span.setAttribute('error.type', String(type));
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

class TimedCall implements ObservedCall {
  private readonly started = performance.now();

  constructor(
    private readonly metrics: Metrics,
    protected cells: RpcCells,
  ) {}

  run<T>(fn: () => T): T {
    return fn();
  }

  route(rpc: RpcCells): void {
    this.cells = rpc;
  }

  end(reason: string, _code: number, _httpStatus: number): void {
    this.metrics.answered(this.cells, reason, (performance.now() - this.started) / 1000);
  }
}

class TracedCall extends TimedCall {
  private readonly span: Span;
  private readonly context: Context;

  constructor(
    private readonly observer: CallObserver,
    tracer: Tracer,
    carrier: Carrier,
    cells: RpcCells,
    httpMethod: string | undefined,
  ) {
    super(observer.metrics, cells);
    const parent = propagation.extract(ROOT_CONTEXT, carrier);
    this.span = tracer.startSpan(cells.rpc, { kind: SpanKind.SERVER, attributes: observer.attributesOf(cells) }, parent);
    if (httpMethod) this.span.setAttribute('http.request.method', httpMethod);
    this.context = trace.setSpan(parent, this.span);
  }

  override run<T>(fn: () => T): T {
    return context.with(this.context, fn);
  }

  override route(rpc: RpcCells): void {
    super.route(rpc);
    this.span.updateName(rpc.rpc);
    this.span.setAttributes(this.observer.attributesOf(rpc));
  }

  override end(reason: string, code: number, httpStatus: number): void {
    super.end(reason, code, httpStatus);
    const span = this.span;
    span.setAttribute('signet.reason', reason);
    if (code >= 0) span.setAttribute('rpc.grpc.status_code', code);
    if (httpStatus > 0) span.setAttribute('http.response.status_code', httpStatus);
    if (SERVER_FAULTS.has(code) || httpStatus >= 500) {
      span.setAttribute('error.type', reason);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }
}
