// OpenTelemetry spans, seen by an in-memory exporter (PostgreSQL + Redis): one SERVER span per RPC
// whose parent is the caller's traceparent (HTTP header or gRPC metadata), with the PostgreSQL,
// Redis and argon2 calls as its descendants; the trace id in the logs; nothing secret recorded.
import { Writable } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startTracing, type Tracing } from '../../src/observability/index.js';
import { call, dropSchema, grpcFailure, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';

const SIGN_IN = 'signet.auth.v1.AuthService/SignIn';
const traceparent = (traceId: string, spanId: string) => `00-${traceId}-${spanId}-01`;

describe('OpenTelemetry tracing', () => {
  const exporter = new InMemorySpanExporter();
  const lines: Record<string, unknown>[] = [];
  let tracing: Tracing | undefined;
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;

  /** The SERVER span of the trace, and every span of it. */
  const traceOf = (traceId: string) => {
    const spans = exporter.getFinishedSpans().filter((x) => x.spanContext().traceId === traceId);
    const server = spans.filter((x) => x.kind === SpanKind.SERVER);
    expect(server).toHaveLength(1);
    return { rpc: server[0], spans };
  };
  /** Whether `span` descends from `root` within `spans`. */
  const descends = (span: ReadableSpan, root: ReadableSpan, spans: ReadableSpan[]) => {
    const byId = new Map(spans.map((x) => [x.spanContext().spanId, x]));
    for (let p = span.parentSpanContext?.spanId; p; p = byId.get(p)?.parentSpanContext?.spanId) {
      if (p === root.spanContext().spanId) return true;
    }
    return false;
  };

  beforeAll(async () => {
    tracing = await startTracing({}, { spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    s = await startTestSignet({ backend: 'postgres', logger: createLogger('debug', sink) });
    fx = await seed(s);
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
    await tracing?.shutdown();
  });

  it('makes a REST sign-in one span, child of the caller, with PostgreSQL, Redis and argon2 spans under it', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const r = await post(
      s.http,
      '/auth/v1/signin?client_id=web',
      { username: 'alice', password: fx.password },
      { traceparent: traceparent(traceId, 'b7ad6b7169203331') },
    );
    expect(r.status).toBe(200);
    const { rpc, spans } = traceOf(traceId);
    expect(rpc.name).toBe(SIGN_IN);
    expect(rpc.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(rpc.parentSpanContext?.isRemote).toBe(true);
    expect(rpc.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'signet.auth.v1.AuthService',
      'rpc.method': 'SignIn',
      'signet.dialect': 'rest',
      'signet.reason': 'ok',
      'rpc.grpc.status_code': 0,
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    const children = spans.filter((x) => x !== rpc);
    for (const c of children) {
      expect(descends(c, rpc, spans), c.name).toBe(true);
      expect(c.kind).toBe(SpanKind.CLIENT);
    }
    const names = children.map((c) => c.name);
    expect(names).toContain('db users.findByLogin');
    expect(names).toContain('argon2 verify');
    expect(names.some((n) => n.startsWith('kv lockout.'))).toBe(true);
    expect(children.find((c) => c.name === 'db users.findByLogin')?.attributes['db.system.name']).toBe('postgresql');
    expect(children.find((c) => c.name.startsWith('kv '))?.attributes['db.system.name']).toBe('redis');
  });

  it('makes a gRPC call one span, child of the traceparent in its metadata, with its reason', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const failure = await grpcFailure(
      call(
        s.grpc,
        'signIn',
        { client_id: 'web', username: 'alice', password: 'wrong horse' },
        { traceparent: traceparent(traceId, '00f067aa0ba902b7') },
      ),
    );
    expect(failure.reason).toBe('invalid_password');
    const { rpc, spans } = traceOf(traceId);
    expect(rpc.name).toBe(SIGN_IN);
    expect(rpc.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(rpc.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'signet.dialect': 'grpc',
      'signet.reason': 'invalid_password',
      'rpc.grpc.status_code': 16,
    });
    expect(spans.map((x) => x.name)).toContain('argon2 verify');
    // A refusal is the client's doing: the span is not an error.
    expect(rpc.status.code).not.toBe(2);
  });

  it('starts a new trace when the caller sends none, and names hand-written routes by their path', async () => {
    exporter.reset();
    const r = await fetch(`${s.http}/oauth/public/captcha-code`);
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    const server = exporter.getFinishedSpans().filter((x) => x.kind === SpanKind.SERVER);
    expect(server).toHaveLength(1);
    expect(server[0].parentSpanContext).toBeUndefined();
    expect(server[0].name).toBe('GET /oauth/public/captcha-code');
    expect(server[0].attributes).toMatchObject({ 'signet.dialect': 'hzero', 'http.route': '/oauth/public/captcha-code' });
    expect(exporter.getFinishedSpans().map((x) => x.name)).toContain('kv captcha.saveChallenge');
  });

  it('logs with the trace id of the request being answered', async () => {
    const traceId = '5af7651916cd43dd8448eb211c80319d';
    lines.length = 0;
    await post(
      s.http,
      '/auth/v1/signin?client_id=web',
      { username: 'alice', password: 'nope' },
      { traceparent: traceparent(traceId, 'c7ad6b7169203332') },
    );
    const { rpc } = traceOf(traceId);
    const refused = lines.find((l) => l.msg === 'request refused');
    expect(refused).toMatchObject({ trace_id: traceId, span_id: rpc.spanContext().spanId });
  });

  it('records no password, token, username or address in any span', async () => {
    await post(
      s.http,
      '/auth/v1/signin?client_id=web',
      { username: 'alice', password: fx.password },
      { 'x-forwarded-for': '203.0.113.77' },
    );
    const all = JSON.stringify(exporter.getFinishedSpans().map((x) => [x.name, x.attributes, x.events]));
    for (const word of [fx.password, 'wrong horse', 'alice', fx.userId, '203.0.113.77', 'access_token', 'Bearer']) {
      expect(all, word).not.toContain(word);
    }
  });
});
