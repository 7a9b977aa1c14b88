// GET /metrics on the admin listener (PostgreSQL + Redis): Prometheus text whose counters move as
// requests are answered over REST, gRPC and HZERO, and that names no user, client or address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, dropSchema, get, grpcFailure, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';

const SIGN_IN = 'signet.auth.v1.AuthService/SignIn';

/** The value of one sample (0 when absent), labels matched exactly and in any order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.keys(got).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => got[k] === v)) {
      return Number(m[3]);
    }
  }
  return 0;
}

describe('Prometheus metrics', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  const scrape = async () => {
    const r = await fetch(`${s.admin}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return r.text();
  };
  const signIn = (username: string, password: string, headers: Record<string, string> = {}) =>
    post(s.http, '/auth/v1/signin?client_id=web', { username, password }, headers);

  beforeAll(async () => {
    s = await startTestSignet({ backend: 'postgres' });
    fx = await seed(s);
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('answers the text format with every metric named, the process defaults among them', async () => {
    const text = await scrape();
    for (const name of [
      'signet_requests_total',
      'signet_request_duration_seconds',
      'signet_sign_ins_total',
      'signet_sign_in_failures_total',
      'signet_lockouts_total',
      'signet_captchas_issued_total',
      'signet_captcha_failures_total',
      'signet_codes_sent_total',
      'signet_audit_events_total',
      'signet_audit_backlog',
      'signet_argon2_duration_seconds',
      'signet_argon2_queue_depth',
      'signet_argon2_active',
      'signet_db_errors_total',
      'signet_db_pool_connections',
      'signet_db_pool_waiting',
      'signet_redis_errors_total',
      'signet_redis_up',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    expect(sample(text, 'signet_redis_up')).toBe(1);
    // The seeding went through the admin REST API (and the pool is in use).
    expect(sample(text, 'signet_requests_total', { dialect: 'rest', rpc: 'signet.auth.v1.AdminService/CreateUser', reason: 'ok' })).toBe(1);
    expect(
      sample(text, 'signet_db_pool_connections', { state: 'idle' }) + sample(text, 'signet_db_pool_connections', { state: 'busy' }),
    ).toBeGreaterThan(0);
  });

  it('counts a sign-in, its RPC, its latency and its argon2 verification', async () => {
    const before = await scrape();
    expect((await signIn('alice', fx.password)).status).toBe(200);
    const after = await scrape();
    const ok = { dialect: 'rest', rpc: SIGN_IN, reason: 'ok' };
    expect(sample(after, 'signet_requests_total', ok) - sample(before, 'signet_requests_total', ok)).toBe(1);
    const timed = { dialect: 'rest', rpc: SIGN_IN };
    expect(
      sample(after, 'signet_request_duration_seconds_count', timed) - sample(before, 'signet_request_duration_seconds_count', timed),
    ).toBe(1);
    expect(sample(after, 'signet_request_duration_seconds_bucket', { ...timed, le: '+Inf' })).toBe(
      sample(after, 'signet_request_duration_seconds_count', timed),
    );
    expect(
      sample(after, 'signet_sign_ins_total', { method: 'signin' }) - sample(before, 'signet_sign_ins_total', { method: 'signin' }),
    ).toBe(1);
    const verify = { op: 'verify' };
    expect(sample(after, 'signet_argon2_duration_seconds_count', verify)).toBeGreaterThan(
      sample(before, 'signet_argon2_duration_seconds_count', verify),
    );
    expect(sample(after, 'signet_audit_events_total', { event: 'sign_in' })).toBeGreaterThan(0);
  });

  it('counts a failure by its reason, over REST and gRPC', async () => {
    const before = await scrape();
    expect((await signIn('alice', 'not the password')).status).toBe(401);
    const failure = await grpcFailure(call(s.grpc, 'signIn', { client_id: 'web', username: 'alice', password: 'still not it' }));
    expect(failure.reason).toBe('invalid_password');
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('signet_requests_total', { dialect: 'rest', rpc: SIGN_IN, reason: 'invalid_password' })).toBe(1);
    expect(delta('signet_requests_total', { dialect: 'grpc', rpc: SIGN_IN, reason: 'invalid_password' })).toBe(1);
    expect(delta('signet_sign_in_failures_total', { reason: 'invalid_password' })).toBe(2);
  });

  it('counts captchas issued (HZERO dialect) and refused (REST)', async () => {
    const before = await scrape();
    const issued = await fetch(`${s.http}/oauth/public/captcha-code`);
    expect(issued.status).toBe(200);
    await issued.arrayBuffer();
    const wrong = await post(s.http, '/auth/v1/captcha/data/verify?client_id=web', { token: 'f'.repeat(32), key: 'abcd' });
    expect(wrong.body.error).toBe('captcha_invalid');
    const after = await scrape();
    expect(sample(after, 'signet_captchas_issued_total') - sample(before, 'signet_captchas_issued_total')).toBe(1);
    expect(sample(after, 'signet_captcha_failures_total') - sample(before, 'signet_captcha_failures_total')).toBe(1);
    const hzero = { dialect: 'hzero', rpc: 'GET /oauth/public/captcha-code', reason: 'ok' };
    expect(sample(after, 'signet_requests_total', hzero) - sample(before, 'signet_requests_total', hzero)).toBe(1);
  });

  it('counts an unrouted path under one label, not under its path', async () => {
    expect((await get(s.http, '/no/such/path-alice')).status).toBe(404);
    const text = await scrape();
    expect(sample(text, 'signet_requests_total', { dialect: 'rest', rpc: 'unrouted', reason: 'not_found' })).toBeGreaterThan(0);
    expect(text).not.toContain('/no/such');
  });

  it('names no user, address, tenant or secret, whatever the requests carried', async () => {
    const forwarded = { 'x-forwarded-for': '203.0.113.77', 'x-device-id': 'device-of-alice-0001' };
    await signIn('alice', fx.password, forwarded);
    await signIn('mallory.unknown', 'hunter2-secret', forwarded);
    await signIn('alice@example.com', 'hunter2-secret', forwarded);
    const text = await scrape();
    for (const word of ['alice', 'mallory', fx.userId, '203.0.113.77', 'hunter2', fx.password, 'acme', 'device-of', 'test-admin-token']) {
      expect(text, word).not.toContain(word);
    }
    expect(text).not.toMatch(/client_id|user_id|username|tenant/);
  });
});
