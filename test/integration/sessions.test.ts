// The v2 session (plain and code sign-in on /auth/v2, the v2 bindings of the token and user-info
// endpoints), a user's own sessions, the operator's view of them, and the security history, over
// REST and gRPC (generated clients) on PostgreSQL + Redis.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPost, call, dropSchema, get, grpcFailure, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';
import { AccountServiceClient, AccountServiceDefinition } from '../../src/gen/signet/auth/v1/account_service.js';

describe('v2 sign-ins, sessions and security history (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let hook: CodeHook;
  let account: AccountServiceClient;
  let fx: Awaited<ReturnType<typeof seed>>;
  let users = 0;

  /** A unary AccountService call with the generated client. */
  const acct = <Res = any>(method: keyof typeof AccountServiceDefinition.methods, partial: object, token?: string): Promise<Res> => {
    const def = AccountServiceDefinition.methods[method];
    const md = new grpc.Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) => {
      (account as any)[method]((def.requestType as any).fromPartial(partial), md, (err: grpc.ServiceError | null, res: Res) =>
        err ? reject(err) : resolve(res),
      );
    });
  };
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const signIn = async (username: string, password: string, device = '') => {
    const r = await post(s.http, '/auth/v1/signin?client_id=web', { username, password }, device ? { 'x-device-id': device } : {});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { access_token: string; refresh_token: string; sub: string };
  };
  const me = (token: string) => get(s.http, '/auth/v1/user/me', bearer(token));
  const refresh = (refresh_token: string) =>
    post(s.http, '/auth/v1/token', { client_id: 'web', grant_type: 'refresh_token', refresh_token });
  const del = async (path: string, token?: string) => {
    const res = await fetch(s.http + path, { method: 'DELETE', headers: token ? bearer(token) : {} });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const newUser = async (extra: Record<string, unknown> = {}) => {
    const username = `u${++users}`;
    const u = await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username, password: 'pw-of-a-user-1', ...extra });
    expect(u.status, JSON.stringify(u.body)).toBe(200);
    return { id: u.body.user_id as string, username, password: 'pw-of-a-user-1' };
  };

  beforeAll(async () => {
    hook = await startCodeHook();
    s = await startTestSignet({
      backend: 'postgres',
      env: { ...hook.env(), SIGNET_IP_FAILURES_CAPTCHA: '0', SIGNET_IP_FAILURES_BLOCK: '0' },
    });
    fx = await seed(s, { maxSessions: 20 });
    const strict = await adminPost(s, '/admin/v1/clients', {
      client_id: 'strict',
      tenant_id: 'acme',
      public: true,
      grant_types: ['password', 'refresh_token'],
      scopes: ['openid', 'user'],
      password_encryption: 'required',
    });
    expect(strict.status, JSON.stringify(strict.body)).toBe(200);
    await newUser({ username: 'bob' });
    account = new AccountServiceClient(`127.0.0.1:${s.running.ports.grpc}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    account?.close();
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  describe('the v2 session', () => {
    it('serves the v2 bindings of user/me and the token endpoint (JSON and form bodies)', async () => {
      const t = await signIn('alice', fx.password);
      const v2me = await get(s.http, '/auth/v2/user/me', bearer(t.access_token));
      expect(v2me.status).toBe(200);
      expect(v2me.body).toMatchObject({ sub: fx.userId, username: 'alice' });
      const form = await fetch(`${s.http}/auth/v2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'web', grant_type: 'refresh_token', refresh_token: t.refresh_token }).toString(),
      });
      const rotated = await form.json();
      expect(form.status, JSON.stringify(rotated)).toBe(200);
      expect(rotated.refresh_token).not.toBe(t.refresh_token);
      const json = await post(s.http, '/auth/v2/token', {
        client_id: 'web',
        grant_type: 'refresh_token',
        refresh_token: rotated.refresh_token,
      });
      expect(json.status).toBe(200);
      expect((await get(s.http, '/auth/v2/user/me', bearer(json.body.access_token))).body.sub).toBe(fx.userId);
    });

    it('signs in with plain {username, password} at /auth/v2/signin/username, through the one password path', async () => {
      const ok = await post(s.http, '/auth/v2/signin/username?client_id=web', { username: 'alice', password: fx.password });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body).toMatchObject({ token_type: 'Bearer', sub: fx.userId });
      expect((await me(ok.body.access_token)).status).toBe(200);
      // A wrong password is an ordinary wrong password (counted, attempts left).
      const wrong = await post(s.http, '/auth/v2/signin/username?client_id=web', { username: 'alice', password: 'nope' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_password');
      // A client that requires encrypted passwords refuses a plain one.
      const strict = await post(s.http, '/auth/v2/signin/username?client_id=strict', { username: 'alice', password: fx.password });
      expect(strict.status).toBe(400);
      expect(strict.body.error).toBe('invalid_argument');
      // Nothing at all: refused, not a 5xx.
      const empty = await post(s.http, '/auth/v2/signin/username?client_id=web', {});
      expect(empty.status).toBe(400);
      // gRPC, same path.
      const g = await call<object, any>(s.grpc, 'signInWithEncryptedParams', {
        client_id: 'web',
        username: 'alice',
        password: fx.password,
      });
      expect(g.sub).toBe(fx.userId);
    });

    describe('the v2 code sign-in', () => {
      let phones = 0;
      const withPhone = async () => {
        const local = `137${String(20_000_000 + ++phones * 7919).padStart(8, '0')}`;
        const u = await newUser({ phone_number: local });
        return { ...u, e164: `+86${local}` };
      };
      const send = async (phone: string, usage = '') => {
        const r = await post(s.http, '/auth/v1/verification?client_id=web', {
          phone_number: phone,
          target: 'ANY',
          ...(usage ? { usage } : {}),
        });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        return { id: r.body.verification_id as string, code: hook.codeFor(phone) };
      };
      const codeSignIn = (verification_id: string, verification_code: string, headers: Record<string, string> = {}) =>
        post(s.http, '/auth/v2/signin/verificationcode?client_id=web', { verification_id, verification_code }, headers);

      it('signs in the user the code was sent to, in one step, and spends the code', async () => {
        const u = await withPhone();
        const { id, code } = await send(u.e164, 'SIGN_IN');
        const r = await codeSignIn(id, code, { 'x-device-id': 'phone-1' });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body).toMatchObject({ token_type: 'Bearer', sub: u.id });
        expect((await me(r.body.access_token)).body.sub).toBe(u.id);
        // Spent: the same code again is refused.
        const again = await codeSignIn(id, code);
        expect(again.status).toBe(400);
        expect(again.body.error).toBe('verification_invalid');
      });

      it('works over gRPC too, with a code sent without a usage', async () => {
        const u = await withPhone();
        const { id, code } = await send(u.e164);
        const t = await call<object, any>(s.grpc, 'signInWithVerificationCode', {
          client_id: 'web',
          verification_id: id,
          verification_code: code,
        });
        expect(t.sub).toBe(u.id);
      });

      it('refuses a wrong code (attempts left), a code sent for another usage, and an unknown user', async () => {
        const u = await withPhone();
        const { id, code } = await send(u.e164);
        const wrong = await codeSignIn(id, code === '000000' ? '000001' : '000000');
        expect(wrong.status).toBe(400);
        expect(wrong.body.error).toBe('verification_invalid');
        const v = await withPhone();
        const reset = await send(v.e164, 'RESET_PASSWORD');
        const refused = await codeSignIn(reset.id, reset.code);
        expect(refused.status).toBe(400);
        expect(refused.body.error).toBe('invalid_grant');
        const nobody = await send('+8613699999999');
        const unknown = await codeSignIn(nobody.id, nobody.code);
        expect(unknown.status).toBe(404);
        expect(unknown.body.error).toBe('not_found');
        const missing = await codeSignIn('', '');
        expect(missing.status).toBe(400);
      });
    });
  });

  describe("a user's own sessions", () => {
    it('lists the live sessions with the current one marked, and the devices they are on (REST, both paths, and gRPC)', async () => {
      const u = await newUser();
      const a = await signIn(u.username, u.password, 'laptop');
      const b = await signIn(u.username, u.password, 'phone');
      const c = await signIn(u.username, u.password, '');
      for (const path of ['/auth/v1/user/sessions', '/auth/v1/user/authorized/devices']) {
        const r = await get(s.http, path, bearer(b.access_token));
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.sessions).toHaveLength(3);
        expect(r.body.sessions.map((x: any) => x.device_id)).toEqual(['', 'phone', 'laptop']);
        expect(r.body.sessions.filter((x: any) => x.current).map((x: any) => x.device_id)).toEqual(['phone']);
        expect(r.body.sessions[0]).toMatchObject({
          client_id: 'web',
          user_id: u.id,
          created_at: expect.any(String),
          expires_at: expect.any(String),
        });
        expect(r.body.devices.map((d: any) => [d.device_id, d.sessions])).toEqual([
          ['phone', 1],
          ['laptop', 1],
        ]);
        expect(r.body.devices[0].last_sign_in_at).toBe(r.body.sessions[1].created_at);
      }
      const g = await acct('listMySessions', {}, a.access_token);
      expect(g.sessions.find((x: any) => x.current).device_id).toBe('laptop');
      expect(g.sessions.every((x: any) => x.user_id === u.id)).toBe(true);
      expect(c.sub).toBe(u.id);
      // Without a user bearer: unauthenticated.
      expect((await get(s.http, '/auth/v1/user/sessions')).status).toBe(401);
      expect((await grpcFailure(acct('listMySessions', {}))).code).toBe(grpc.status.UNAUTHENTICATED);
    });

    it("ends the sessions on one device at once (tokens and refresh), and only the caller's", async () => {
      const u = await newUser();
      const laptop = await signIn(u.username, u.password, 'laptop');
      const phone = await signIn(u.username, u.password, 'phone');
      // Bob names u's device: only Bob's sessions on it (none) end.
      const bob = await signIn('bob', 'pw-of-a-user-1', 'laptop');
      expect((await del('/auth/v1/user/authorized/devices/laptop', bob.access_token)).status).toBe(200);
      expect((await me(laptop.access_token)).status).toBe(200);
      expect((await me(bob.access_token)).status).toBe(401);

      const r = await del('/auth/v1/user/authorized/devices/laptop', phone.access_token);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toEqual({});
      expect((await me(laptop.access_token)).status).toBe(401);
      expect((await refresh(laptop.refresh_token)).body.error).toBe('invalid_grant');
      expect((await me(phone.access_token)).status).toBe(200);
      const left = await get(s.http, '/auth/v1/user/sessions', bearer(phone.access_token));
      expect(left.body.sessions.map((x: any) => x.device_id)).toEqual(['phone']);
      // gRPC, and an empty device id.
      const f = await grpcFailure(acct('revokeDevice', { device_id: '' }, phone.access_token));
      expect(f.code).toBe(grpc.status.INVALID_ARGUMENT);
      await acct('revokeDevice', { device_id: 'phone' }, phone.access_token);
      expect((await me(phone.access_token)).status).toBe(401);
    });

    it('ends every session of the user, the asking one included, at once; other users keep theirs', async () => {
      const u = await newUser();
      const older = await signIn(u.username, u.password, 'd1');
      const newer = await signIn(u.username, u.password, 'd2');
      const bob = await signIn('bob', 'pw-of-a-user-1', 'd9');
      const r = await del('/auth/v1/user/revoke/all', newer.access_token);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      for (const t of [older, newer]) {
        expect((await me(t.access_token)).status).toBe(401);
        expect((await refresh(t.refresh_token)).body.error).toBe('invalid_grant');
      }
      expect((await me(bob.access_token)).status).toBe(200);
      // gRPC: same, and without a bearer nothing happens.
      const again = await signIn(u.username, u.password, 'd3');
      expect((await grpcFailure(acct('revokeAllSessions', {}))).code).toBe(grpc.status.UNAUTHENTICATED);
      expect((await me(again.access_token)).status).toBe(200);
      await acct('revokeAllSessions', {}, again.access_token);
      expect((await me(again.access_token)).status).toBe(401);
    });
  });

  describe('the operator', () => {
    it("lists a user's live sessions, ends one, then all, over gRPC and REST", async () => {
      const u = await newUser();
      const a = await signIn(u.username, u.password, 'd1');
      const b = await signIn(u.username, u.password, 'd2');
      const c = await signIn(u.username, u.password, 'd3');
      const listed = await call<object, any>(
        s.adminGrpc,
        'listSessions',
        { user_id: u.id },
        { authorization: 'Bearer test-admin-token-0123456789' },
      );
      expect(listed.sessions.map((x: any) => x.device_id)).toEqual(['d3', 'd2', 'd1']);
      expect(listed.sessions.every((x: any) => x.user_id === u.id && x.current === false)).toBe(true);
      const rest = await fetch(`${s.admin}/admin/v1/users/${u.id}/sessions`, {
        headers: { authorization: 'Bearer test-admin-token-0123456789' },
      });
      expect((await rest.json()).sessions).toHaveLength(3);

      const sid = listed.sessions[2].session_id;
      const one = await adminPost(s, `/admin/v1/sessions/${sid}:revoke`, {});
      expect(one).toEqual({ status: 200, body: { revoked: true } });
      expect((await me(a.access_token)).status).toBe(401);
      expect((await me(b.access_token)).status).toBe(200);
      expect((await adminPost(s, `/admin/v1/sessions/${sid}:revoke`, {})).body).toEqual({ revoked: false });
      expect((await adminPost(s, '/admin/v1/sessions/no-such-session:revoke', {})).body).toEqual({ revoked: false });

      const all = await call<object, any>(
        s.adminGrpc,
        'revokeUserSessions',
        { user_id: u.id },
        { authorization: 'Bearer test-admin-token-0123456789' },
      );
      expect(all.revoked).toBe(2);
      for (const t of [b, c]) expect((await me(t.access_token)).status).toBe(401);
      expect((await adminPost(s, `/admin/v1/users/${u.id}/sessions:revoke`, {})).body).toEqual({ revoked: 0 });

      const unknown = await grpcFailure(
        call(s.adminGrpc, 'listSessions', { user_id: 'nobody' }, { authorization: 'Bearer test-admin-token-0123456789' }),
      );
      expect(unknown.code).toBe(grpc.status.NOT_FOUND);
      // The admin token is required.
      expect((await grpcFailure(call(s.adminGrpc, 'listSessions', { user_id: u.id }))).code).toBe(grpc.status.UNAUTHENTICATED);
    });
  });

  describe('the security history', () => {
    const history = (token: string, qs: string) => get(s.http, `/auth/v1/user/security/history?${qs}`, bearer(token));

    it("shows the user's sign-ins (query[action]=USER_LOGIN) and everything else (ne_query), paged, and nobody else's", async () => {
      const u = await newUser();
      const first = await signIn(u.username, u.password, 'hist-1');
      await refresh(first.refresh_token); // a token event: in neither view
      expect((await post(s.http, '/auth/v1/signin?client_id=web', { username: u.username, password: 'wrong' })).status).toBe(401);
      const second = await signIn(u.username, u.password, 'hist-2');
      await del('/auth/v1/user/authorized/devices/hist-1', second.access_token);
      await signIn('bob', 'pw-of-a-user-1');

      const logins = await history(second.access_token, 'query[action]=USER_LOGIN&limit=10');
      expect(logins.status, JSON.stringify(logins.body)).toBe(200);
      expect(logins.body.data).toHaveLength(2);
      expect(logins.body.data.map((e: any) => [e.action, e.device_id, e.meta.from])).toEqual([
        ['USER_LOGIN', 'hist-2', 'signin'],
        ['USER_LOGIN', 'hist-1', 'signin'],
      ]);
      expect(logins.body.data[0]).toMatchObject({
        client_id: 'web',
        ip: expect.any(String),
        created_at: expect.any(String),
        id: expect.any(String),
      });
      expect(logins.body.data[0]).not.toHaveProperty('detail');
      expect(logins.body.next_page_token).toBe('');

      const others = await history(second.access_token, 'ne_query[action]=USER_LOGIN&limit=10');
      expect(others.body.data.map((e: any) => [e.action, e.meta.from])).toEqual([
        ['SESSIONS_REVOKED', 'device'],
        ['USER_LOGIN_FAILED', 'invalid_password'],
      ]);

      // Paged with an opaque token.
      const p1 = await history(second.access_token, 'limit=1');
      expect(p1.body.data).toHaveLength(1);
      expect(p1.body.next_page_token).not.toBe('');
      const p2 = await history(second.access_token, `limit=1&page_token=${encodeURIComponent(p1.body.next_page_token)}`);
      expect(p2.body.data).toHaveLength(1);
      expect(p2.body.data[0].id).not.toBe(p1.body.data[0].id);
      const all = await history(second.access_token, 'limit=100');
      expect(all.body.data).toHaveLength(4);

      // gRPC, with the maps set directly.
      const g = await acct('getSecurityHistory', { query: { action: 'USER_LOGIN' } }, second.access_token);
      expect(g.data).toHaveLength(2);
      // An action nobody records, an unknown filter key, a negative limit, no bearer.
      expect((await history(second.access_token, 'query[action]=NOPE')).body.data).toEqual([]);
      expect((await history(second.access_token, 'query[user_id]=x')).status).toBe(400);
      expect((await history(second.access_token, 'limit=-1')).status).toBe(400);
      expect((await get(s.http, '/auth/v1/user/security/history')).status).toBe(401);
    });
  });
});
