// Failed-password lockout, rate limits and the audit trail, on PostgreSQL + Redis, across two
// instances where it matters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPost, dropSchema, get, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { messageFor } from '../../src/transport/messages.js';
import type { RedisKeyValueStore } from '../../src/storage/redis/index.js';
import type { Redis } from 'ioredis';
import { FakeClock } from '../helpers/clock.js';

const ERRORINFO = 'type.googleapis.com/google.rpc.ErrorInfo';
const RETRYINFO = 'type.googleapis.com/google.rpc.RetryInfo';

/** Counts password comparisons made by an instance. */
function countVerifications(s: TestSignet): { count: number } {
  const counter = { count: 0 };
  const hasher = s.running.deps.hasher;
  const verify = hasher.verify.bind(hasher);
  const dummy = hasher.verifyDummy.bind(hasher);
  hasher.verify = (h, p) => (counter.count++, verify(h, p));
  hasher.verifyDummy = (p) => (counter.count++, dummy(p));
  return counter;
}

/**
 * Counts the socket writes of an instance's Redis connection. Node sends every write of a socket
 * (one chunk, or many corked together) through _writeGeneric; if that ever changes this counts
 * nothing and the test using it fails rather than passing blindly.
 */
function countRedisWrites(s: TestSignet): { count: number } {
  const counter = { count: 0 };
  const sock = ((s.running.kv as RedisKeyValueStore).client as Redis).stream as unknown as {
    _writeGeneric: (...a: unknown[]) => unknown;
  };
  const write = sock._writeGeneric;
  sock._writeGeneric = function (this: unknown, ...args: unknown[]) {
    counter.count++;
    return write.apply(this, args);
  };
  return counter;
}

describe('lockout (PostgreSQL + Redis, two instances)', () => {
  let a: TestSignet;
  let b: TestSignet;
  const signin = (s: TestSignet, client: string, username: string, password: string, headers: Record<string, string> = {}) =>
    post(s.http, `/auth/v1/signin?client_id=${client}`, { username, password }, { 'accept-language': 'en', ...headers });
  const newUser = async (username: string, tenant = 'acme') =>
    (await adminPost(a, '/admin/v1/users', { tenant_id: tenant, username, password: 'right-password' })).body.user_id as string;

  beforeAll(async () => {
    // Every request here comes from 127.0.0.1: the per-IP thresholds are tested on their own below.
    const env = { SIGNET_IP_FAILURES_CAPTCHA: '0', SIGNET_IP_FAILURES_BLOCK: '0' };
    a = await startTestSignet({ backend: 'postgres', env });
    b = await startTestSignet({ backend: 'postgres', schema: a.schema, keyPrefix: a.keyPrefix, env });
    await seed(a);
    // A tenant that locks without asking for a captcha first, and one whose locks end fast.
    await adminPost(a, '/admin/v1/tenants', { tenant_id: 'nocap', policy: { captcha_after_failures: 0 } });
    await adminPost(a, '/admin/v1/clients', { client_id: 'nocap-web', tenant_id: 'nocap', public: true });
    await adminPost(a, '/admin/v1/tenants', {
      tenant_id: 'brief',
      policy: { captcha_after_failures: 0, max_failed_attempts: 2, lock_seconds: 1 },
    });
    await adminPost(a, '/admin/v1/clients', { client_id: 'brief-web', tenant_id: 'brief', public: true });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await dropSchema(a?.schema);
  });

  it('says how many attempts are left, where the CloudBase SDK reads it', async () => {
    await newUser('counted', 'nocap');
    const r = await signin(a, 'nocap-web', 'counted', 'wrong');
    expect(r.status).toBe(401);
    expect(r.body).toEqual({
      code: 16,
      message: messageFor('invalid_password', 'en', [4]),
      details: [
        {
          '@type': ERRORINFO,
          reason: 'invalid_password',
          domain: 'signet.auth.v1',
          metadata: { limit_remaining: '4', failed_attempts: '1', hzero_key: 'hoth.warn.passwordError' },
          limit_remaining: 4,
        },
        { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en', message: messageFor('invalid_password', 'en', [4]) },
      ],
      error: 'invalid_password',
      error_code: 16,
      error_description: messageFor('invalid_password', 'en', [4]),
    });
    const zh = await post(a.http, '/auth/v1/signin?client_id=nocap-web', { username: 'counted', password: 'wrong' });
    expect(zh.body.error_description).toBe('您输入的账号或密码错误，还可以尝试3次');
  });

  it('locks at the fifth failure with RetryInfo, refuses even the right password, and unlocks by admin', async () => {
    const id = await newUser('lockme', 'nocap');
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await signin(a, 'nocap-web', 'lockme', 'wrong'));
    expect(answers.slice(0, 4).map((r) => r.body.details[0].limit_remaining)).toEqual([4, 3, 2, 1]);
    const locked = answers[4];
    expect(locked.status).toBe(400);
    expect(locked.body).toMatchObject({ code: 9, error: 'invalid_status', error_code: 9 });
    expect(locked.body.details[0]).toMatchObject({ '@type': ERRORINFO, reason: 'invalid_status', retry_delay: '900s' });
    expect(locked.body.details).toContainEqual({ '@type': RETRYINFO, retry_delay: '900s' });
    const verifications = countVerifications(b);
    const right = await signin(b, 'nocap-web', 'lockme', 'right-password');
    expect(right.body.error).toBe('invalid_status');
    expect(right.body.details[0].retry_delay).toMatch(/^(899|900)s$/);
    expect(verifications.count).toBe(0);
    // Also under another identifier of the same account.
    const unlock = await adminPost(a, `/admin/v1/users/${id}:unlock`, {});
    expect(unlock.status).toBe(200);
    expect((await signin(b, 'nocap-web', 'lockme', 'right-password')).status).toBe(200);
  });

  it('counts 200 parallel wrong passwords on two instances exactly: 5 comparisons, then locked', async () => {
    // Attempts in flight use up the budget: the rest are told to retry (resource_exhausted) until
    // the five compared ones fail and lock the account (invalid_status).
    await newUser('target', 'nocap');
    const ca = countVerifications(a);
    const cb = countVerifications(b);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => signin(i % 2 ? a : b, 'nocap-web', 'target', `guess-${i}`)));
    const reasons = answers.map((r) => r.body.error);
    expect(ca.count + cb.count).toBe(5);
    expect(reasons.filter((r) => r === 'invalid_password')).toHaveLength(4);
    const refused = reasons.filter((r) => r === 'invalid_status' || r === 'resource_exhausted');
    expect(refused).toHaveLength(196);
    expect(reasons).toContain('invalid_status');
    expect((await signin(a, 'nocap-web', 'target', 'right-password')).body.error).toBe('invalid_status');
    expect(ca.count + cb.count).toBe(5);
  });

  it('never locks an account for a burst of right passwords', async () => {
    await newUser('busy', 'nocap');
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => signin(i % 2 ? a : b, 'nocap-web', 'busy', 'right-password')));
    for (const r of answers) expect([200, 429]).toContain(r.status);
    expect(answers.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(5);
    const later = await signin(a, 'nocap-web', 'busy', 'wrong');
    expect(later.body.details[0].limit_remaining).toBe(4);
  });

  it('spends one Redis write on a successful sign-in: limits, IP failures and the lockout place travel together', async () => {
    const id = await newUser('frugal', 'nocap');
    const kv = a.running.kv as RedisKeyValueStore;
    // A place an earlier test gave back may still be held: a read sends it before counting starts.
    await kv.get('nothing-held');
    // The store holds a place given back for at most 250 ms of real time, then sends it alone. On
    // a busy machine the next sign-in may come later than that, which is correct but would count
    // a write of its own: here the hold lasts until the next command, whatever the machine's speed.
    const runSoon = kv.runSoon.bind(kv);
    kv.runSoon = (script, keys, args) => runSoon(script, keys, args, 60_000);
    try {
      const writes = countRedisWrites(a);
      const n = 5;
      for (let i = 0; i < n; i++) expect((await signin(a, 'nocap-web', 'frugal', 'right-password')).status).toBe(200);
      // Each place given back rides with the next sign-in's write; the last one is still held.
      expect(writes.count).toBeGreaterThanOrEqual(n);
      expect(writes.count).toBeLessThanOrEqual(n + 1);
      // It leaves ahead of the next command (this read), and every place is back: nothing is left in flight.
      expect(await kv.get(`pw:{nocap:u:${id}}:p`)).toBeNull();
    } finally {
      kv.runSoon = runSoon;
    }
  });

  it('resets the count on success and ends a lock by itself', async () => {
    await newUser('brief1', 'brief');
    expect((await signin(a, 'brief-web', 'brief1', 'wrong')).body.details[0].limit_remaining).toBe(1);
    expect((await signin(a, 'brief-web', 'brief1', 'right-password')).status).toBe(200);
    expect((await signin(a, 'brief-web', 'brief1', 'wrong')).body.details[0].limit_remaining).toBe(1);
    expect((await signin(a, 'brief-web', 'brief1', 'wrong')).body.error).toBe('invalid_status');
    // A real wait: the lock is a key that Redis expires on its own clock (lock_seconds 1), which
    // no fake clock moves. A wait is never shorter than asked, so the margin only covers skew.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await signin(b, 'brief-web', 'brief1', 'right-password')).status).toBe(200);
  });

  it('locks unknown identifiers like real accounts under the anti-enumeration policy', async () => {
    await adminPost(a, '/admin/v1/tenants', { tenant_id: 'hidden', policy: { hide_unknown_users: true, captcha_after_failures: 0 } });
    await adminPost(a, '/admin/v1/clients', { client_id: 'hidden-web', tenant_id: 'hidden', public: true });
    const reasons = [];
    for (let i = 0; i < 6; i++) reasons.push((await signin(a, 'hidden-web', 'ghost', 'x')).body.error);
    expect(reasons).toEqual([
      'invalid_password',
      'invalid_password',
      'invalid_password',
      'invalid_password',
      'invalid_status',
      'invalid_status',
    ]);
  });

  it('asks for a captcha after three failures under the default policy', async () => {
    await newUser('captcha-me');
    for (let i = 0; i < 3; i++) expect((await signin(a, 'web', 'captcha-me', 'wrong')).body.error).toBe('invalid_password');
    const r = await signin(a, 'web', 'captcha-me', 'right-password');
    expect(r).toMatchObject({ status: 400, body: { error: 'captcha_required', code: 9 } });
    const bad = await post(a.http, '/auth/v1/signin?client_id=web&captcha_token=forged', {
      username: 'captcha-me',
      password: 'right-password',
    });
    expect(bad.body.error).toBe('captcha_invalid');
  });

  it('writes the audit trail and lists it through the admin API', async () => {
    const id = await newUser('audited', 'nocap');
    await signin(a, 'nocap-web', 'audited', 'wrong', { 'x-device-id': 'dev-1' });
    await signin(b, 'nocap-web', 'audited', 'right-password', { 'x-device-id': 'dev-1' });
    await b.running.deps.audit.flush();
    const r = await get(a.admin, `/admin/v1/audit-events?user_id=${id}`, { authorization: 'Bearer test-admin-token-0123456789' });
    expect(r.status).toBe(200);
    expect(r.body.events.map((e: { event: string; reason: string }) => `${e.event}:${e.reason}`)).toEqual([
      'sign_in:signin',
      'sign_in_failed:invalid_password',
    ]);
    expect(r.body.events[0]).toMatchObject({ tenant_id: 'nocap', client_id: 'nocap-web', device_id: 'dev-1', ip: '127.0.0.1' });
    expect(JSON.stringify(r.body)).not.toContain('right-password');
  });
});

describe('rate limits (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  beforeAll(async () => {
    s = await startTestSignet({
      backend: 'postgres',
      // Pinned mid-minute and never moved: no one-minute window ends while a test counts requests.
      clock: FakeClock.midMinute(),
      env: {
        SIGNET_RATE_LIMIT_IP_PER_MINUTE: '5',
        SIGNET_TRUSTED_PROXIES: '127.0.0.1',
        SIGNET_IP_FAILURES_CAPTCHA: '2',
        SIGNET_IP_FAILURES_BLOCK: '4',
      },
    });
    await seed(s);
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('answers resource_exhausted with RetryInfo past the per-IP limit, per forwarded client IP', async () => {
    const from = (ip: string) =>
      post(s.http, '/auth/v1/token', { client_id: 'web', grant_type: 'refresh_token', refresh_token: 'x' }, { 'x-forwarded-for': ip });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await from('198.51.100.1'));
    expect(answers.slice(0, 5).map((r) => r.body.error)).toEqual(Array(5).fill('invalid_grant'));
    expect(answers[5].status).toBe(429);
    expect(answers[5].body).toMatchObject({ error: 'resource_exhausted', code: 8 });
    expect(answers[5].body.details[0].retry_delay).toMatch(/^\d+s$/);
    // Another client behind the same trusted proxy has its own budget.
    expect((await from('198.51.100.2')).body.error).toBe('invalid_grant');
  });

  it('counts every request against the limits, whatever its own answer', async () => {
    const ip = { 'x-forwarded-for': '198.51.100.77' };
    const answers = [
      // A validation error, a wrong client secret, an unknown grant type, a refresh a bad token.
      await post(s.http, '/auth/v1/signin?client_id=web', { username: 'alice', password: '' }, ip),
      await post(s.http, '/auth/v1/token', { client_id: 'svc', client_secret: 'wrong', grant_type: 'client_credentials' }, ip),
      await post(s.http, '/auth/v1/token', { client_id: 'web', grant_type: 'foo' }, ip),
      await post(
        s.http,
        '/auth/v1/token',
        { client_id: 'svc', client_secret: 'wrong', grant_type: 'password', username: 'alice', password: 'x' },
        ip,
      ),
      await post(s.http, '/auth/v2/signin/username?client_id=web', { params: 'not-a-ciphertext' }, ip),
    ];
    expect(answers.map((r) => r.status)).not.toContain(429);
    // The sixth, whatever it asks, is over the limit; so is the same error as before.
    const over = [
      await post(s.http, '/auth/v1/signin?client_id=web', { username: 'alice', password: '' }, ip),
      await post(s.http, '/auth/v1/token', { client_id: 'web', grant_type: 'foo' }, ip),
    ];
    expect(over.map((r) => r.body.error)).toEqual(['resource_exhausted', 'resource_exhausted']);
  });

  it('keeps a burst from one IP off the database: only what the limit admits looks a user up', async () => {
    const users = s.running.deps.storage.users;
    const find = users.findByLogin.bind(users);
    let lookups = 0;
    users.findByLogin = (...args) => (lookups++, find(...args));
    try {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          post(s.http, '/auth/v1/signin?client_id=web', { username: 'nobody-here', password: 'x' }, { 'x-forwarded-for': '198.51.100.88' }),
        ),
      );
      // Exactly 45 refused by the per-IP limit. (The 5 admitted ones may meet the IP failure rules
      // too, captcha after 2 failures and a block after 4, depending on how late their checks
      // leave on a busy machine: those are not the limit's refusals.)
      const byLimit = (r: { status: number; body: { details?: Array<{ metadata?: { scope?: string } }> } }) =>
        r.status === 429 && (r.body.details ?? []).some((d) => d.metadata?.scope === 'ip');
      expect(answers.filter(byLimit)).toHaveLength(45);
      // The limit admits 5. Before this instance has seen half the limit (2 requests here), a
      // request looks its user up before its INCR returns, so up to 2 refused ones may too.
      expect(lookups).toBeLessThanOrEqual(5 + 2);
      // The refusals are not audited: a flood must not fill the table.
      await s.running.deps.audit.flush();
      const events = await get(s.admin, '/admin/v1/audit-events?page_size=200', { authorization: 'Bearer test-admin-token-0123456789' });
      expect(events.status).toBe(200);
      const reasons = (events.body.events as Array<{ event: string; reason: string; ip: string }>)
        .filter((e) => e.ip === '198.51.100.88')
        .map((e) => `${e.event}:${e.reason}`);
      expect(reasons.filter((r) => r.startsWith('sign_in_failed'))).toHaveLength(5);
      // None is the limit's refusal. (An admitted one that met the IP block, see above, is
      // audited as resource_exhausted too, by the IP failure rule: the detail tells them apart.)
      const audited = await s.running.deps.storage.audit.list({ event: 'sign_in_failed' }, { pageSize: 200, pageToken: '' });
      const exhausted = audited.items.filter((e) => e.ip === '198.51.100.88' && e.reason === 'resource_exhausted');
      expect(exhausted.map((e) => e.detail).filter((d) => d !== 'rate_limited_ip_failures')).toEqual([]);
    } finally {
      users.findByLogin = find;
    }
  });

  it('asks an IP with many failed sign-ins for a captcha, then refuses it', async () => {
    const from = (ip: string, username: string) =>
      post(s.http, '/auth/v1/signin?client_id=web', { username, password: 'wrong' }, { 'x-forwarded-for': ip });
    expect((await from('203.0.113.5', 'alice')).body.error).toBe('invalid_password');
    expect((await from('203.0.113.5', 'nobody')).body.error).toBe('not_found');
    // Two failures from this IP, on different accounts: the next sign-in from it needs a captcha.
    expect((await from('203.0.113.5', 'alice')).body.error).toBe('captcha_required');
    expect((await from('203.0.113.6', 'alice')).body.error).toBe('invalid_password');
    await s.running.deps.limiter.recordIpFailure('203.0.113.5');
    await s.running.deps.limiter.recordIpFailure('203.0.113.5');
    const blocked = await from('203.0.113.5', 'alice');
    expect(blocked).toMatchObject({ status: 429, body: { error: 'resource_exhausted' } });
    expect(blocked.body.details[0].retry_delay).toMatch(/^\d+s$/);
  });
});
