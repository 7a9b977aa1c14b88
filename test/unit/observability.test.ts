// The metrics registry and the tracing switch, without a server: what the audit stream counts,
// how label values are bounded, histogram exposition, and which OTEL_* settings turn tracing on.
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/observability/metrics.js';
import { activeTracer, tracingRequested } from '../../src/observability/tracing.js';
import { argon2Instrument, createObserver } from '../../src/observability/index.js';
import { PasswordHasher } from '../../src/domain/accounts/passwords.js';

const lines = async (m: Metrics, prefix: string) => (await m.render()).text.split('\n').filter((l) => l.startsWith(prefix));

describe('Metrics', () => {
  it('reads sign-ins, failures, locks and codes off the audit stream', async () => {
    const m = new Metrics();
    m.audited({ event: 'sign_in', reason: 'password', userId: 'u-1', ip: '198.51.100.1' });
    m.audited({ event: 'sign_in_failed', reason: 'invalid_password', userId: 'u-1' });
    m.audited({ event: 'sign_in_failed', reason: 'invalid_password' });
    m.audited({ event: 'lock', reason: 'invalid_password' });
    m.audited({ event: 'code_sent', reason: 'sms' });
    m.audited({ event: 'code_sent', reason: 'email' });
    expect(await lines(m, 'signet_sign_ins_total')).toEqual(['signet_sign_ins_total{method="password"} 1']);
    expect(await lines(m, 'signet_sign_in_failures_total')).toEqual(['signet_sign_in_failures_total{reason="invalid_password"} 2']);
    expect(await lines(m, 'signet_lockouts_total')).toEqual(['signet_lockouts_total 1']);
    expect(await lines(m, 'signet_codes_sent_total')).toEqual([
      'signet_codes_sent_total{channel="sms"} 1',
      'signet_codes_sent_total{channel="email"} 1',
    ]);
    expect(await lines(m, 'signet_audit_events_total{event="code_sent"}')).toEqual(['signet_audit_events_total{event="code_sent"} 2']);
    const text = (await m.render()).text;
    expect(text).not.toContain('u-1');
    expect(text).not.toContain('198.51.100.1');
  });

  it('counts label values that are not plain tokens, or past the bound, as "other"', async () => {
    const m = new Metrics();
    m.audited({ event: 'sign_in_failed', reason: 'Alice@Example.com' });
    m.audited({ event: 'sign_in_failed', reason: 'x'.repeat(80) });
    for (let i = 0; i < 100; i++) m.audited({ event: `event_${i}` });
    const failures = await lines(m, 'signet_sign_in_failures_total');
    expect(failures).toEqual(['signet_sign_in_failures_total{reason="other"} 2']);
    const events = await lines(m, 'signet_audit_events_total');
    expect(events.length).toBeLessThanOrEqual(65);
    expect(events).toContain('signet_audit_events_total{event="other"} 37');
  });

  it('exposes cumulative histogram buckets, and a latency only once observed', async () => {
    const m = new Metrics();
    const signIn = m.rpc('grpc', 'signet.auth.v1.AuthService/SignIn');
    m.rpc('grpc', 'signet.auth.v1.AuthService/GetJwks');
    m.answered(signIn, 'ok', 0.003);
    m.answered(signIn, 'ok', 0.07);
    m.answered(signIn, 'invalid_password', 30);
    const hist = await lines(m, 'signet_request_duration_seconds');
    expect(hist.some((l) => l.includes('GetJwks'))).toBe(false);
    const bucket = (le: string) => hist.find((l) => l.includes(`le="${le}"`))?.split(' ')[1];
    expect([bucket('0.005'), bucket('0.1'), bucket('10'), bucket('+Inf')]).toEqual(['1', '2', '2', '3']);
    expect(hist).toContain('signet_request_duration_seconds_count{dialect="grpc",rpc="signet.auth.v1.AuthService/SignIn"} 3');
    expect(await lines(m, 'signet_requests_total')).toEqual([
      'signet_requests_total{dialect="grpc",rpc="signet.auth.v1.AuthService/SignIn",reason="ok"} 2',
      'signet_requests_total{dialect="grpc",rpc="signet.auth.v1.AuthService/SignIn",reason="invalid_password"} 1',
    ]);
  });

  it('reads gauges from their sources at scrape time, and a drop count as a counter', async () => {
    const m = new Metrics();
    let backlog = 3;
    let dropped = 0;
    m.watch({ audit: { backlog: () => backlog, dropped: () => dropped }, argon2: { queued: 2, active: 1 } });
    expect(await lines(m, 'signet_audit_backlog')).toEqual(['signet_audit_backlog 3']);
    backlog = 0;
    dropped = 5;
    expect(await lines(m, 'signet_audit_backlog')).toEqual(['signet_audit_backlog 0']);
    expect(await lines(m, 'signet_audit_dropped_total')).toEqual(['signet_audit_dropped_total 5']);
    expect(await lines(m, 'signet_argon2_queue_depth')).toEqual(['signet_argon2_queue_depth 2']);
  });

  it('times the argon2 computations of the hasher, and sees its queue', async () => {
    const obs = createObserver();
    const hasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }, argon2Instrument(obs));
    obs.metrics.watch({ argon2: hasher });
    const hash = await hasher.hash('a password');
    expect((await hasher.verify(hash, 'a password')).ok).toBe(true);
    expect(hasher.queued).toBe(0);
    expect(hasher.active).toBe(0);
    const counts = await lines(obs.metrics, 'signet_argon2_duration_seconds_count');
    expect(counts).toEqual(['signet_argon2_duration_seconds_count{op="hash"} 1', 'signet_argon2_duration_seconds_count{op="verify"} 1']);
  });
});

describe('the tracing switch', () => {
  it('is off by default, and without an exporter or endpoint', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: 'signet-eu' })).toBe(false);
    expect(activeTracer()).toBeUndefined();
    expect(createObserver().tracer).toBeUndefined();
  });

  it('is on with an OTLP endpoint or a traces exporter, unless disabled or "none"', () => {
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
    expect(tracingRequested({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
  });
});
