// Recovery and self-service over REST and gRPC against a real Signet (PostgreSQL + Redis):
// verification targets NOT_USER / CUR_USER, reset with a code, sudo tokens (single-use, bound to
// the user and the session, expiring), set / change password, basic/edit, contact, profile,
// query, delete me. Codes are read from the webhook receiver, as a mailbox would.
import { constants, publicEncrypt } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPost, dropSchema, get, grpcFailure, post, seed, startTestSignet, userCall, type TestSignet } from '../helpers/signet.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';
import { AccountServiceClient, AccountServiceDefinition } from '../../src/gen/signet/auth/v1/account_service.js';
import { FakeClock } from '../helpers/clock.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };

const rest = userCall;

function accountCall<Res>(client: grpc.Client, method: string, partial: object, token: string): Promise<Res> {
  const def = (AccountServiceDefinition.methods as Record<string, { requestType: { fromPartial(o: object): unknown } }>)[method];
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve, reject) => {
    (client as any)[method](def.requestType.fromPartial(partial), md, (err: grpc.ServiceError | null, res: Res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

describe('recovery and self-service (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let hook: CodeHook;
  let account: AccountServiceClient;
  let n = 0;

  /** A fresh user of tenant acme with its own phone and e-mail (codes per destination are limited). */
  const newUser = async (opts: { phone?: boolean; password?: string } = {}) => {
    n++;
    const username = `u${n}`;
    const email = `u${n}@example.com`;
    const phone = `+861390000${String(n).padStart(4, '0')}`;
    const password = opts.password ?? `old password ${n}`;
    const r = await adminPost(s, '/admin/v1/users', {
      tenant_id: 'acme',
      username,
      email,
      ...(opts.phone === false ? {} : { phone_number: phone }),
      password,
    });
    if (r.status !== 200) throw new Error(JSON.stringify(r.body));
    return { id: r.body.user_id as string, username, email, phone, password };
  };
  const signIn = async (username: string, password: string) => {
    const r = await post(s.http, '/auth/v1/signin', { client_id: 'web', username, password });
    return r;
  };
  const tokenOf = async (username: string, password: string): Promise<string> => {
    const r = await signIn(username, password);
    if (r.status !== 200) throw new Error(JSON.stringify(r.body));
    return r.body.access_token;
  };
  const me = (token: string) => get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${token}` });
  /** Sends a code and exchanges it for a verification token. */
  const verified = async (to: { phone_number?: string; email?: string }, usage: string, target = 'ANY', token = '', inbox = '') => {
    const sent = await rest(s, 'POST', '/auth/v1/verification', { client_id: 'web', ...to, usage, target }, token);
    if (sent.status !== 200) throw new Error(JSON.stringify(sent.body));
    const code = hook.codeFor(inbox || to.phone_number || to.email || '');
    const v = await post(s.http, '/auth/v1/verification/verify', { verification_id: sent.body.verification_id, verification_code: code });
    if (v.status !== 200) throw new Error(JSON.stringify(v.body));
    return v.body.verification_token as string;
  };
  const sudoWith = async (token: string, body: object) => rest(s, 'POST', '/auth/v1/user/sudo', body, token);
  const audit = async (userId: string) => {
    const r = await get(s.admin, `/admin/v1/audit-events?user_id=${userId}`, ADMIN);
    return (r.body.events as { event: string; reason: string }[]).map((e) => e.event);
  };

  beforeAll(async () => {
    hook = await startCodeHook();
    s = await startTestSignet({
      backend: 'postgres',
      env: {
        ...hook.env(),
        SIGNET_CODE_RESEND_SECONDS: '0',
        SIGNET_CODE_DAILY_LIMIT: '100',
        // Every request comes from 127.0.0.1: the per-IP failure rules would soon ask all of them for a captcha.
        SIGNET_IP_FAILURES_CAPTCHA: '0',
        SIGNET_IP_FAILURES_BLOCK: '0',
      },
    });
    await seed(s, { maxSessions: 20 });
    // No captcha after failures here: the lockout itself is what these tests look at.
    await adminPost(s, '/admin/v1/tenants/acme', { policy: { captcha_after_failures: 0 } }, 'PATCH');
    await adminPost(s, '/admin/v1/tenants', { tenant_id: 'quiet', policy: { hide_unknown_users: true } });
    await adminPost(s, '/admin/v1/clients', { client_id: 'quiet-web', tenant_id: 'quiet', public: true, grant_types: ['password'] });
    account = new AccountServiceClient(`127.0.0.1:${s.running.ports.grpc}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    account?.close();
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  describe('verification targets', () => {
    it('NOT_USER sends only to an address no account holds', async () => {
      const u = await newUser();
      const taken = await rest(s, 'POST', '/auth/v1/verification', {
        client_id: 'web',
        email: u.email,
        target: 'NOT_USER',
        usage: 'SIGN_UP',
      });
      expect(taken.status).toBe(409);
      expect(taken.body.error).toBe('already_exists');
      const before = hook.deliveries.length;
      const free = await rest(s, 'POST', '/auth/v1/verification', {
        client_id: 'web',
        email: 'nobody-1@example.com',
        target: 'NOT_USER',
        usage: 'SIGN_UP',
      });
      expect(free.status).toBe(200);
      expect(hook.deliveries.length).toBe(before + 1);
    });

    it('NOT_USER under hide_unknown_users: a held address gets the same answer and no message', async () => {
      await adminPost(s, '/admin/v1/users', { tenant_id: 'quiet', username: 'q1', email: 'q1@example.com', password: 'whatever password' });
      const before = hook.deliveries.length;
      const held = await rest(s, 'POST', '/auth/v1/verification', {
        client_id: 'quiet-web',
        email: 'q1@example.com',
        target: 'NOT_USER',
        usage: 'SIGN_UP',
      });
      const free = await rest(s, 'POST', '/auth/v1/verification', {
        client_id: 'quiet-web',
        email: 'q-free@example.com',
        target: 'NOT_USER',
        usage: 'SIGN_UP',
      });
      expect(held.status).toBe(200);
      expect(Object.keys(held.body).sort()).toEqual(Object.keys(free.body).sort());
      expect(held.body.is_user).toBe(free.body.is_user);
      // Only the free address received a code.
      expect(hook.deliveries.slice(before).map((d) => d.to)).toEqual(['q-free@example.com']);
    });

    it('CUR_USER needs the access token, defaults to the own phone and refuses another address', async () => {
      const u = await newUser();
      const anon = await rest(s, 'POST', '/auth/v1/verification', { client_id: 'web', target: 'CUR_USER', usage: 'SUDO' });
      expect(anon.status).toBe(401);
      const token = await tokenOf(u.username, u.password);
      const other = await rest(
        s,
        'POST',
        '/auth/v1/verification',
        { email: 'someone-else@example.com', target: 'CUR_USER', usage: 'SUDO' },
        token,
      );
      expect(other.status).toBe(403);
      const sent = await rest(s, 'POST', '/auth/v1/verification', { target: 'CUR_USER', usage: 'SUDO' }, token);
      expect(sent.status).toBe(200);
      expect(hook.deliveries.at(-1)!.to).toBe(u.phone);
      // The e-mail, when the user has only that.
      const e = await newUser({ phone: false });
      const eToken = await tokenOf(e.username, e.password);
      expect((await rest(s, 'POST', '/auth/v1/verification', { target: 'CUR_USER', usage: 'SUDO' }, eToken)).status).toBe(200);
      expect(hook.deliveries.at(-1)!.to).toBe(e.email);
    });
  });

  describe('sudo', () => {
    it('a user with a phone must use a CUR_USER code of usage sudo; the password alone is refused', async () => {
      const u = await newUser();
      const token = await tokenOf(u.username, u.password);
      const byPassword = await sudoWith(token, { password: u.password });
      expect(byPassword.status).toBe(400);
      expect(byPassword.body.error).toBe('phone_required');
      // A sign-in code to the same phone does not serve.
      const signInCode = await verified({ phone_number: u.phone }, 'SIGN_IN');
      expect((await sudoWith(token, { verification_token: signInCode })).body.error).toBe('invalid_grant');
      // No destination named: the code goes to the user's own phone.
      const code = await verified({}, 'SUDO', 'CUR_USER', token, u.phone);
      const r = await sudoWith(token, { verification_token: code });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ sudo_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expires_in: 300 });
    });

    it('a CUR_USER code of one user does not give another user sudo', async () => {
      const a = await newUser();
      const b = await newUser();
      const ta = await tokenOf(a.username, a.password);
      const tb = await tokenOf(b.username, b.password);
      const sent = await rest(s, 'POST', '/auth/v1/verification', { target: 'CUR_USER', usage: 'SUDO' }, ta);
      const v = await post(s.http, '/auth/v1/verification/verify', {
        verification_id: sent.body.verification_id,
        verification_code: hook.codeFor(a.phone),
      });
      const r = await sudoWith(tb, { verification_token: v.body.verification_token });
      expect(r.body.error).toBe('invalid_grant');
    });

    it('a wrong password counts as a failed sign-in and locks like one', async () => {
      const u = await newUser({ phone: false });
      const token = await tokenOf(u.username, u.password);
      for (let i = 0; i < 4; i++) {
        const r = await sudoWith(token, { password: 'wrong password!' });
        expect(r.status).toBe(401);
        expect(r.body.error).toBe('invalid_password');
      }
      const locked = await sudoWith(token, { password: 'wrong password!' });
      expect(locked.body.error).toBe('invalid_status');
      // The lock is the sign-in's: the right password is refused there too.
      expect((await signIn(u.username, u.password)).body.error).toBe('invalid_status');
      await adminPost(s, `/admin/v1/users/${u.id}:unlock`, {});
    });

    it('the sudo token is single-use and bound to the user and the session', async () => {
      const u = await newUser({ phone: false });
      const t1 = await tokenOf(u.username, u.password);
      const t2 = await tokenOf(u.username, u.password);
      const other = await newUser({ phone: false });
      const t3 = await tokenOf(other.username, other.password);
      const grant = async () => (await sudoWith(t1, { password: u.password })).body.sudo_token as string;

      // Another session of the same user cannot spend it (and it is spent by the try).
      let st = await grant();
      let r = await rest(s, 'PATCH', '/auth/v1/user/password', { sudo_token: st, new_password: 'a new password 1' }, t2);
      expect(r.status).toBe(403);
      expect(r.body.error).toBe('permission_denied');
      // Nor another user.
      st = await grant();
      r = await rest(s, 'PATCH', '/auth/v1/user/password', { sudo_token: st, new_password: 'a new password 1' }, t3);
      expect(r.status).toBe(403);
      // Its own session can, once.
      st = await grant();
      r = await rest(s, 'PATCH', '/auth/v1/user/password', { sudo_token: st, new_password: 'a new password 1' }, t1);
      expect(r.status).toBe(200);
      r = await rest(s, 'PATCH', '/auth/v1/user/password', { sudo_token: st, new_password: 'a new password 2' }, t1);
      expect(r.status).toBe(403);
      expect(r.body.error).toBe('permission_denied');
    });
  });

  describe('passwords', () => {
    it('SetPassword (gRPC): the old password stops working, other sessions end, this one survives', async () => {
      const u = await newUser({ phone: false });
      const mine = await tokenOf(u.username, u.password);
      const other = await tokenOf(u.username, u.password);
      const st = await accountCall<{ sudo_token: string; expires_in: number }>(account, 'sudo', { password: u.password }, mine);
      expect(st.expires_in).toBe(300);
      const weak = await grpcFailure(accountCall(account, 'setPassword', { sudo_token: st.sudo_token, new_password: 'short' }, mine));
      expect(weak.reason).toBe('weak_password');
      // The weak attempt did not spend the sudo token.
      await accountCall(account, 'setPassword', { sudo_token: st.sudo_token, new_password: 'brand new password' }, mine);
      expect((await signIn(u.username, u.password)).status).toBe(401);
      expect((await signIn(u.username, 'brand new password')).status).toBe(200);
      expect((await me(mine)).status).toBe(200);
      expect((await me(other)).status).toBe(401);
      expect(await audit(u.id)).toContain('password_changed');
    });

    it('UpdatePasswordWithoutSession: RSA-encrypted passwords, lockout on wrong old ones, every session ends', async () => {
      const u = await newUser({ phone: false });
      const session = await tokenOf(u.username, u.password);
      const key = await get(s.http, '/auth/v1/public-key');
      const enc = (p: string) =>
        publicEncrypt({ key: key.body.public_key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(p)).toString('base64');
      const body = (old: string, next: string, username = u.username) => ({
        client_id: 'web',
        username,
        password: enc(old),
        new_password: enc(next),
        public_key_thumbprint: key.body.public_key_thumbprint,
      });
      const wrong = await post(s.http, '/auth/v2/signin/password/update', body('not it at all', 'whatever new one'));
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_password');
      // An unknown user answers as a wrong password.
      const unknown = await post(s.http, '/auth/v2/signin/password/update', body('not it at all', 'whatever new one', 'no-such-user'));
      expect(unknown.status).toBe(401);
      expect(unknown.body.error).toBe('invalid_password');
      const ok = await post(s.http, '/auth/v2/signin/password/update', body(u.password, 'changed without session'));
      expect(ok.status).toBe(200);
      expect((await me(session)).status).toBe(401);
      expect((await signIn(u.username, 'changed without session')).status).toBe(200);
    });

    it('EditBasicInfo: profile fields, a password change needs the old password, contacts refused, user_id must be the caller', async () => {
      const u = await newUser({ phone: false });
      const token = await tokenOf(u.username, u.password);
      const edit = (b: object) => rest(s, 'POST', '/auth/v1/user/basic/edit', b, token);
      expect((await edit({ nickname: 'Nick', avatar_url: 'https://img.example/a.png', gender: 'female' })).status).toBe(200);
      const info = (await me(token)).body;
      expect(info).toMatchObject({ name: 'Nick', picture: 'https://img.example/a.png', gender: 'FEMALE' });
      expect((await edit({ email: 'x@example.com' })).status).toBe(400);
      expect((await edit({ user_id: 'someone-else', nickname: 'x' })).status).toBe(403);
      expect((await edit({ new_password: 'edited password 1' })).status).toBe(400);
      expect((await edit({ password: 'wrong old one', new_password: 'edited password 1' })).body.error).toBe('invalid_password');
      expect((await edit({ password: u.password, new_password: 'edited password 1' })).status).toBe(200);
      expect((await signIn(u.username, 'edited password 1')).status).toBe(200);
    });
  });

  describe('reset', () => {
    it('a reset code sets the password, ends every session at once and clears the lock', async () => {
      const u = await newUser();
      const older = await tokenOf(u.username, u.password);
      for (let i = 0; i < 5; i++) await signIn(u.username, 'wrong password!');
      expect((await signIn(u.username, u.password)).body.error).toBe('invalid_status');
      const vt = await verified({ email: u.email }, 'PASSWORD_RESET');
      const r = await post(s.http, '/auth/v1/reset', {
        client_id: 'web',
        email: u.email,
        verification_token: vt,
        new_password: 'reset password 1',
      });
      expect(r.status).toBe(200);
      expect((await me(older)).status).toBe(401);
      expect((await signIn(u.username, 'reset password 1')).status).toBe(200);
      expect(await audit(u.id)).toContain('password_reset');
      // Spent: the same token does not reset again.
      const again = await post(s.http, '/auth/v1/reset', {
        client_id: 'web',
        email: u.email,
        verification_token: vt,
        new_password: 'reset password 2',
      });
      expect(again.body.error).toBe('invalid_grant');
    });

    it('refuses a token of another usage, of another address, and a weak password before spending it', async () => {
      const u = await newUser();
      const reset = (vt: string, extra: object = {}) =>
        post(s.http, '/auth/v1/reset', {
          client_id: 'web',
          phone_number: u.phone,
          verification_token: vt,
          new_password: 'reset password 1',
          ...extra,
        });
      expect((await reset(await verified({ phone_number: u.phone }, 'SIGN_IN'))).body.error).toBe('invalid_grant');
      const signUp = await verified({ email: 'reset-signup@example.com' }, 'REGISTER');
      expect((await reset(signUp, { phone_number: '', email: 'reset-signup@example.com' })).body.error).toBe('invalid_grant');
      const good = await verified({ phone_number: u.phone }, 'RESET_PASSWORD');
      expect((await reset(good, { new_password: 'short' })).body.error).toBe('weak_password');
      expect((await reset(good, { phone_number: '', email: u.email })).body.error).toBe('invalid_grant');
    });

    it('an unknown address under hide_unknown_users answers exactly like a bad token', async () => {
      const vt = await (async () => {
        const sent = await rest(s, 'POST', '/auth/v1/verification', {
          client_id: 'quiet-web',
          email: 'ghost@example.com',
          usage: 'RESET_PASSWORD',
        });
        const v = await post(s.http, '/auth/v1/verification/verify', {
          verification_id: sent.body.verification_id,
          verification_code: hook.codeFor('ghost@example.com'),
        });
        return v.body.verification_token as string;
      })();
      const unknown = await post(s.http, '/auth/v1/reset', {
        client_id: 'quiet-web',
        email: 'ghost@example.com',
        verification_token: vt,
        new_password: 'reset password 1',
      });
      const bad = await post(s.http, '/auth/v1/reset', {
        client_id: 'quiet-web',
        email: 'ghost@example.com',
        verification_token: 'x'.repeat(43),
        new_password: 'reset password 1',
      });
      expect(unknown.status).toBe(bad.status);
      expect(unknown.body).toEqual(bad.body);
      // Without hiding, a proved address that nobody holds is not_found.
      const sent = await rest(s, 'POST', '/auth/v1/verification', {
        client_id: 'web',
        email: 'ghost@example.com',
        usage: 'RESET_PASSWORD',
      });
      const v = await post(s.http, '/auth/v1/verification/verify', {
        verification_id: sent.body.verification_id,
        verification_code: hook.codeFor('ghost@example.com'),
      });
      const nf = await post(s.http, '/auth/v1/reset', {
        client_id: 'web',
        email: 'ghost@example.com',
        verification_token: v.body.verification_token,
        new_password: 'reset password 1',
      });
      expect(nf.status).toBe(404);
    });
  });

  describe('contact, profile, query, deletion', () => {
    it('EditContact binds a new phone proved by a code, refuses one another account holds', async () => {
      const u = await newUser({ phone: false });
      const holder = await newUser();
      const token = await tokenOf(u.username, u.password);
      const sudoToken = async () => (await sudoWith(token, { password: u.password })).body.sudo_token as string;
      const newPhone = '+8613911112222';
      const vt = await verified({ phone_number: newPhone }, 'PHONE_NUMBER_CHANGE');
      expect(
        (
          await rest(
            s,
            'PATCH',
            '/auth/v1/user/contact',
            { phone_number: newPhone, verification_token: vt, sudo_token: await sudoToken(), conflict_resolution: 'TRANSFER' },
            token,
          )
        ).status,
      ).toBe(400);
      const ok = await rest(
        s,
        'PATCH',
        '/auth/v1/user/contact',
        { phone_number: newPhone, verification_token: vt, sudo_token: await sudoToken() },
        token,
      );
      expect(ok.status).toBe(200);
      expect((await me(token)).body).toMatchObject({ phone_number: newPhone, phone_number_verified: true });
      expect(await audit(u.id)).toContain('contact_changed');
      // The holder's phone: already_exists.
      const u2 = await newUser({ phone: false });
      const t2 = await tokenOf(u2.username, u2.password);
      const vt2 = await verified({ phone_number: holder.phone }, 'PHONE_NUMBER_CHANGE');
      const st2 = (await sudoWith(t2, { password: u2.password })).body.sudo_token;
      const taken = await rest(
        s,
        'PATCH',
        '/auth/v1/user/contact',
        { phone_number: holder.phone, verification_token: vt2, sudo_token: st2 },
        t2,
      );
      expect(taken.status).toBe(409);
      expect(taken.body.error).toBe('already_exists');
    });

    it('UpdateProfile validates and answers UserInfo (gRPC and REST)', async () => {
      const u = await newUser({ phone: false });
      const token = await tokenOf(u.username, u.password);
      const info = await accountCall<{ name: string; locale: string; gender: string }>(
        account,
        'updateProfile',
        { name: 'Ann', locale: 'en', gender: 'MALE' },
        token,
      );
      expect(info).toMatchObject({ name: 'Ann', locale: 'en', gender: 'MALE' });
      expect((await rest(s, 'PATCH', '/auth/v1/user/profile', { picture: 'javascript:alert(1)' }, token)).status).toBe(400);
      expect((await rest(s, 'PATCH', '/auth/v1/user/profile', { gender: 'robot' }, token)).status).toBe(400);
      expect(await audit(u.id)).toContain('profile_updated');
    });

    it('QueryUsers: same tenant only, contacts only of oneself, unknown ones absent, at most 20 ids', async () => {
      const a = await newUser();
      const b = await newUser();
      const q = await adminPost(s, '/admin/v1/users', { tenant_id: 'quiet', username: 'q-other', password: 'whatever password' });
      const token = await tokenOf(a.username, a.password);
      const r = await get(s.http, `/auth/v1/user/query?id=${a.id}&id=${b.id}&id=${q.body.user_id}&id=nope`, {
        authorization: `Bearer ${token}`,
      });
      expect(r.status).toBe(200);
      expect(r.body.total).toBe(2);
      const byId = Object.fromEntries(r.body.data.map((p: { sub: string }) => [p.sub, p]));
      expect(byId[a.id]).toMatchObject({ email: a.email, phone_number: a.phone });
      expect(byId[b.id].email ?? '').toBe('');
      expect(byId[b.id].phone_number ?? '').toBe('');
      const many = Array.from({ length: 21 }, (_, i) => `id=x${i}`).join('&');
      expect((await get(s.http, `/auth/v1/user/query?${many}`, { authorization: `Bearer ${token}` })).status).toBe(400);
      expect((await get(s.http, `/auth/v1/user/query?username=${b.username}`, { authorization: `Bearer ${token}` })).body.total).toBe(1);
    });

    it('DeleteMe: sessions end at once, sign-in fails, the identifiers are free again', async () => {
      const u = await newUser({ phone: false });
      const token = await tokenOf(u.username, u.password);
      const other = await tokenOf(u.username, u.password);
      expect((await rest(s, 'DELETE', '/auth/v1/user/me?sudo_token=nope', undefined, token)).status).toBe(403);
      const st = (await sudoWith(token, { password: u.password })).body.sudo_token;
      const r = await rest(s, 'DELETE', `/auth/v1/user/me?sudo_token=${st}`, undefined, token);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ sub: u.id, username: u.username });
      expect((await me(token)).status).toBe(401);
      expect((await me(other)).status).toBe(401);
      expect((await signIn(u.username, u.password)).status).toBe(404);
      const again = await adminPost(s, '/admin/v1/users', {
        tenant_id: 'acme',
        username: u.username,
        email: u.email,
        password: 'another password',
      });
      expect(again.status).toBe(200);
      expect(again.body.user_id).not.toBe(u.id);
      // The audit trail keeps the deleted user's events.
      expect(await audit(u.id)).toContain('account_deleted');
    });
  });
});

describe('sudo token expiry (embedded, FakeClock)', () => {
  let s: TestSignet;
  const clock = FakeClock.midMinute();
  beforeAll(async () => {
    s = await startTestSignet({ backend: 'embedded', clock, env: { SIGNET_SUDO_TTL_SECONDS: '60' } });
    await seed(s);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('a sudo token past its TTL is refused', async () => {
    await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username: 'bob', password: 'sunlit harbor 41' });
    const t = await post(s.http, '/auth/v1/signin', { client_id: 'web', username: 'bob', password: 'sunlit harbor 41' });
    const token = t.body.access_token as string;
    const st = await rest(s, 'POST', '/auth/v1/user/sudo', { password: 'sunlit harbor 41' }, token);
    expect(st.body.expires_in).toBe(60);
    clock.advance(61_000);
    const r = await rest(s, 'PATCH', '/auth/v1/user/password', { sudo_token: st.body.sudo_token, new_password: 'sunlit harbor 42' }, token);
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('permission_denied');
  });
});
