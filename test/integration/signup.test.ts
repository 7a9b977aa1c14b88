// Creating accounts over REST and gRPC on PostgreSQL + Redis: sign-up by username or by a proven
// e-mail, closed sign-up, taken names, the password policy, a burst refused before any hashing,
// anonymous users upgraded in place, the sign-up form's checks, and the admin side of the policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { adminPost, call, dropSchema, get, grpcFailure, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { FakeClock } from '../helpers/clock.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';
import { AccountServiceClient } from '../../src/gen/signet/auth/v1/account_service.js';
import { CheckUsernameRequest } from '../../src/gen/signet/auth/v1/account.js';

const GOOD = 'vq7-Rn2;xe-lamp';
const EN = { 'accept-language': 'en' };

describe('sign-up over REST and gRPC (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let hook: CodeHook;
  let n = 0;
  /** Each request from its own forwarded IP unless a test wants a burst from one. */
  const ip = () => ({ 'x-forwarded-for': `203.0.113.${++n % 250}` });
  const signup = (body: object, headers: Record<string, string> = {}) =>
    post(s.http, '/auth/v1/signup?client_id=web', body, { ...ip(), ...headers });
  const me = (token: string) => get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${token}` });
  /** A verification token for the address, from a code sent with `usage`. */
  const proof = async (email: string, usage = 'SIGN_UP') => {
    const sent = await post(s.http, '/auth/v1/verification?client_id=web', { email, usage }, ip());
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const v = await post(
      s.http,
      '/auth/v1/verification/verify',
      { verification_id: sent.body.verification_id, verification_code: hook.codeFor(email) },
      ip(),
    );
    expect(v.status, JSON.stringify(v.body)).toBe(200);
    return v.body.verification_token as string;
  };
  const patchTenant = (id: string, policy: object) => adminPost(s, `/admin/v1/tenants/${id}`, { policy }, 'PATCH');

  beforeAll(async () => {
    hook = await startCodeHook();
    s = await startTestSignet({
      backend: 'postgres',
      clock: FakeClock.midMinute(),
      env: { ...hook.env(), SIGNET_CODE_RESEND_SECONDS: '0', SIGNET_RATE_LIMIT_IP_PER_MINUTE: '4', SIGNET_TRUSTED_PROXIES: '127.0.0.1' },
    });
    await seed(s);
    expect((await patchTenant('acme', { sign_up_enabled: true, anonymous_sign_in: true })).status).toBe(200);
  });
  afterAll(async () => {
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  it('signs up with username + password over REST, and over gRPC', async () => {
    const r = await signup({ username: 'Nora', password: GOOD, name: 'Nora N', gender: 'FEMALE', locale: 'en-GB' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
    expect((await me(r.body.access_token)).body).toMatchObject({
      sub: r.body.sub,
      username: 'nora',
      name: 'Nora N',
      gender: 'FEMALE',
      locale: 'en-GB',
      is_anonymous: false,
      has_password: true,
    });
    // And it signs in with that password.
    expect((await post(s.http, '/auth/v1/signin?client_id=web', { username: 'nora', password: GOOD }, ip())).status).toBe(200);

    const g = await call<object, { sub: string; access_token: string }>(
      s.grpc,
      'signUp',
      { client_id: 'web', username: 'omar', password: GOOD },
      ip(),
    );
    expect((await me(g.access_token)).body).toMatchObject({ sub: g.sub, username: 'omar' });
  });

  it('signs up with an e-mail proven by a SIGN_UP code, verified and passwordless; a SIGN_IN code is refused', async () => {
    const signInToken = await proof('pat@example.com', 'SIGN_IN');
    const refused = await signup({ email: 'pat@example.com', verification_token: signInToken }, EN);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    const r = await signup({ email: 'Pat@Example.com', verification_token: await proof('pat@example.com') });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await me(r.body.access_token)).body).toMatchObject({ email: 'pat@example.com', email_verified: true, has_password: false });
    // Taken: said only to whoever proved the address (a fresh code), never to a forged token.
    expect((await signup({ email: 'pat@example.com', verification_token: 'forged-token' })).body.error).toBe('invalid_grant');
    const again = await signup({ email: 'pat@example.com', verification_token: await proof('pat@example.com') });
    expect([again.status, again.body.error]).toEqual([409, 'already_exists']);
  });

  it('refuses a taken username with already_exists (REST 409, gRPC ALREADY_EXISTS)', async () => {
    expect((await signup({ username: 'quinn', password: GOOD })).status).toBe(200);
    const r = await signup({ username: 'QUINN', password: GOOD });
    expect([r.status, r.body.error]).toEqual([409, 'already_exists']);
    const f = await grpcFailure(call(s.grpc, 'signUp', { client_id: 'web', username: 'quinn', password: GOOD }, ip()));
    expect([f.code, f.reason]).toEqual([grpc.status.ALREADY_EXISTS, 'already_exists']);
  });

  it('refuses a weak password naming the rule, in the caller’s language', async () => {
    const short = await signup({ username: 'rita', password: 'k7#Qm' }, EN);
    expect([short.status, short.body.error]).toEqual([400, 'weak_password']);
    expect(short.body.error_description).toBe('The password must be at least 8 characters long.');
    const common = await signup({ username: 'rita', password: 'iloveyou' }, { 'accept-language': 'zh-CN' });
    expect(common.body.error_description).toBe('密码过于常见，请换一个');
    const f = await grpcFailure(
      call(s.grpc, 'signUp', { client_id: 'web', username: 'rita', password: 'rita-secret-1' }, { ...ip(), ...EN }),
    );
    expect([f.code, f.reason, f.message]).toEqual([
      grpc.status.INVALID_ARGUMENT,
      'weak_password',
      'The password must not contain the username or e-mail address.',
    ]);
  });

  it('is closed unless the tenant opens it and the client allows it (permission_denied, sign_up_closed)', async () => {
    await adminPost(s, '/admin/v1/tenants', { tenant_id: 'shut', name: 'Shut' });
    await adminPost(s, '/admin/v1/clients', { client_id: 'shut-web', tenant_id: 'shut', public: true });
    await adminPost(s, '/admin/v1/clients', { client_id: 'web-nosignup', tenant_id: 'acme', public: true, sign_up_enabled: false });
    const closed = await post(s.http, '/auth/v1/signup?client_id=shut-web', { username: 'sam', password: GOOD }, { ...ip(), ...EN });
    expect([closed.status, closed.body.error, closed.body.error_description]).toEqual([
      403,
      'permission_denied',
      'Sign-up is not open here.',
    ]);
    const byClient = await post(s.http, '/auth/v1/signup?client_id=web-nosignup', { username: 'sam', password: GOOD }, ip());
    expect(byClient.body.error).toBe('permission_denied');
    const anon = await grpcFailure(call(s.grpc, 'signInAnonymously', { client_id: 'shut-web' }, ip()));
    expect([anon.code, anon.reason]).toEqual([grpc.status.PERMISSION_DENIED, 'permission_denied']);
    // Methods: a tenant taking e-mail only refuses a username sign-up.
    await patchTenant('shut', { sign_up_enabled: true, sign_up_methods: { values: ['email'] } });
    expect((await post(s.http, '/auth/v1/signup?client_id=shut-web', { username: 'sam', password: GOOD }, ip())).body.error).toBe(
      'permission_denied',
    );
  });

  it('refuses a burst from one IP with resource_exhausted before any password is hashed', async () => {
    const hasher = s.running.deps.hasher;
    const hash = hasher.hash.bind(hasher);
    let hashed = 0;
    hasher.hash = (p: string) => (hashed++, hash(p));
    try {
      const burst = { 'x-forwarded-for': '198.51.100.200' };
      const answers = [];
      for (let i = 0; i < 8; i++)
        answers.push(await post(s.http, '/auth/v1/signup?client_id=web', { username: `burst${i}`, password: GOOD }, burst));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 429, 429, 429, 429]);
      expect(answers[4].body.error).toBe('resource_exhausted');
      expect(hashed).toBe(4);
      const created = await Promise.all(
        [4, 5, 6, 7].map((i) => s.running.deps.storage.users.findByLogin('acme', 'P', 'username', `burst${i}`)),
      );
      expect(created).toEqual([null, null, null, null]);
    } finally {
      hasher.hash = hash;
    }
  });

  it('signs in anonymously and upgrades in place by sign-up: same sub, anonymous session ended', async () => {
    const anon = await post(s.http, '/auth/v1/signin/anonymously?client_id=web', {}, ip());
    expect(anon.status, JSON.stringify(anon.body)).toBe(200);
    const before = (await me(anon.body.access_token)).body;
    expect(before).toMatchObject({ sub: anon.body.sub, is_anonymous: true, username: '' });
    const stored = await s.running.deps.storage.users.get(anon.body.sub);
    expect(stored?.expiresAt?.getTime()).toBe(s.running.deps.clock.now() + 30 * 86400_000);

    const up = await signup({ username: 'tess', password: GOOD, anonymous_token: anon.body.access_token });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body.sub).toBe(anon.body.sub);
    expect((await me(up.body.access_token)).body).toMatchObject({ sub: anon.body.sub, username: 'tess', is_anonymous: false });
    expect((await s.running.deps.storage.users.get(anon.body.sub))?.expiresAt).toBeNull();
    expect((await me(anon.body.access_token)).status).toBe(401);
    // gRPC too.
    const g = await call<object, { sub: string }>(s.grpc, 'signInAnonymously', { client_id: 'web' }, ip());
    expect((await s.running.deps.storage.users.get(g.sub))?.anonymous).toBe(true);
  });

  it('an anonymous user binding its first contact becomes a full user (same sub, no sudo: it has no credential to prove)', async () => {
    const anon = await post(s.http, '/auth/v1/signin/anonymously?client_id=web', {}, ip());
    expect(anon.status).toBe(200);
    const token = await proof('anon-binds@example.com', 'EMAIL_ADDRESS_CHANGE');
    const res = await fetch(`${s.http}/auth/v1/user/contact`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${anon.body.access_token}`, ...ip() },
      body: JSON.stringify({ email: 'anon-binds@example.com', verification_token: token }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await me(anon.body.access_token)).body).toMatchObject({
      sub: anon.body.sub,
      email: 'anon-binds@example.com',
      email_verified: true,
      is_anonymous: false,
    });
    expect((await s.running.deps.storage.users.get(anon.body.sub))?.expiresAt).toBeNull();
    // Now it has a contact: a second change needs sudo like anyone's.
    const again = await proof('anon-binds-2@example.com', 'EMAIL_ADDRESS_CHANGE');
    const refused = await fetch(`${s.http}/auth/v1/user/contact`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${anon.body.access_token}`, ...ip() },
      body: JSON.stringify({ email: 'anon-binds-2@example.com', verification_token: again }),
    });
    expect(refused.status).toBe(403);
  });

  it('CheckUsername and CheckIfUserExist over REST and gRPC; existence hidden where the tenant hides users', async () => {
    expect((await signup({ username: 'uma', password: GOOD })).status).toBe(200);
    const taken = await get(s.http, '/auth/v1/checkUsername?client_id=web&username=UMA', ip());
    expect([taken.status, taken.body.error]).toEqual([409, 'already_exists']);
    const free = await get(s.http, '/auth/v1/checkUsername?client_id=web&username=umberto', ip());
    expect([free.status, free.body]).toEqual([200, {}]);
    expect((await get(s.http, '/auth/v1/checkUsername?client_id=web&username=%2B8613800000000', ip())).body.error).toBe('invalid_argument');
    expect((await get(s.http, '/auth/v1/checkIfUserExist?client_id=web&username=uma', ip())).body).toEqual({ exist: true });
    expect((await get(s.http, '/auth/v1/checkIfUserExist?client_id=web&username=alice%40example.com', ip())).body).toEqual({ exist: true });
    expect((await get(s.http, '/auth/v1/checkIfUserExist?client_id=web&username=nobody', ip())).body).toEqual({ exist: false });

    const account = new AccountServiceClient(`127.0.0.1:${s.running.ports.grpc}`, grpc.credentials.createInsecure());
    try {
      const md = new grpc.Metadata();
      md.set('x-forwarded-for', '203.0.113.251');
      const f = await grpcFailure(
        new Promise((resolve, reject) =>
          account.checkUsername(CheckUsernameRequest.fromPartial({ client_id: 'web', username: 'uma' }), md, (e, r) =>
            e ? reject(e) : resolve(r),
          ),
        ),
      );
      expect([f.code, f.reason]).toEqual([grpc.status.ALREADY_EXISTS, 'already_exists']);
    } finally {
      account.close();
    }

    await adminPost(s, '/admin/v1/tenants', { tenant_id: 'quiet', policy: { hide_unknown_users: true } });
    await adminPost(s, '/admin/v1/clients', { client_id: 'quiet-web', tenant_id: 'quiet', public: true });
    const hidden = await get(s.http, '/auth/v1/checkIfUserExist?client_id=quiet-web&username=alice', { ...ip(), ...EN });
    expect([hidden.status, hidden.body.error, hidden.body.error_description]).toEqual([
      403,
      'permission_denied',
      'Whether an account exists is not disclosed here.',
    ]);
    // CheckUsername there: hidden while sign-up by username is closed (it would be an oracle for
    // nothing); once sign-up is open, answered, since the sign-up itself would say it.
    const closed = await get(s.http, '/auth/v1/checkUsername?client_id=quiet-web&username=alice', ip());
    expect([closed.status, closed.body.error]).toEqual([403, 'permission_denied']);
    await patchTenant('quiet', { sign_up_enabled: true });
    const open = await get(s.http, '/auth/v1/checkUsername?client_id=quiet-web&username=alice', ip());
    expect(open.status).toBe(200);
  });

  it('admin: the policy fields round-trip and are validated; a weak password needs bypass, which is audited', async () => {
    const t = await patchTenant('acme', {
      sign_up_methods: { values: ['username', 'email'] },
      password_min_length: 10,
      password_max_length: 64,
      password_required_classes: { values: ['digit'] },
      password_reject_identifiers: true,
      password_reject_common: false,
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.policy).toMatchObject({
      sign_up_enabled: true,
      anonymous_sign_in: true,
      sign_up_methods: { values: ['username', 'email'] },
      password_min_length: 10,
      password_max_length: 64,
      password_required_classes: { values: ['digit'] },
      password_reject_common: false,
    });
    for (const [policy, field] of [
      [{ password_min_length: 0 }, 'policy.password_min_length'],
      [{ password_max_length: 2000 }, 'policy.password_max_length'],
      [{ password_min_length: 70 }, 'policy.password_max_length'],
      [{ password_required_classes: { values: ['emoji'] } }, 'policy.password_required_classes'],
      [{ sign_up_methods: { values: ['wechat'] } }, 'policy.sign_up_methods'],
    ] as const) {
      const r = await patchTenant('acme', policy);
      expect([r.status, r.body.details?.find((d: any) => d.field_violations)?.field_violations[0].field]).toEqual([400, field]);
    }
    const weak = await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username: 'vic', password: 'no-digits-here' });
    expect([weak.status, weak.body.error, weak.body.details[1].field_violations]).toEqual([
      400,
      'weak_password',
      [{ field: 'password', description: 'must contain characters of 0-9' }],
    ]);
    // Nothing was created: the name is still free.
    expect(await s.running.deps.storage.users.findByLogin('acme', 'P', 'username', 'vic')).toBeNull();
    const forced = await adminPost(s, '/admin/v1/users', {
      tenant_id: 'acme',
      username: 'vic',
      password: 'no-digits-here',
      bypass_password_policy: true,
    });
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
    const set = await adminPost(s, `/admin/v1/users/${forced.body.user_id}`, { password: 'short1' }, 'PATCH');
    expect(set.status).toBe(400);
    expect(
      (await adminPost(s, `/admin/v1/users/${forced.body.user_id}`, { password: 'short1', bypass_password_policy: true }, 'PATCH')).status,
    ).toBe(200);
    await s.running.deps.audit.flush();
    const events = await s.running.deps.storage.audit.list({ userId: forced.body.user_id }, { pageSize: 50, pageToken: '' });
    expect(
      events.items
        .filter((e) => e.event === 'password_policy_bypassed')
        .map((e) => e.detail)
        .sort(),
    ).toEqual(['password_classes', 'password_too_short']);
  });
});
