// The account routes that compare a password (the v2 password update without a session, sudo,
// basic/edit) are no cheaper oracle than the sign-in page: the same captcha rules, IP block and
// lockout apply before any hash. And the smaller guards of the account routes: forged history
// page tokens, chosen usernames that would pass for an e-mail or phone, the request limits of the
// session routes, and a password change that ends every other session in one statement.
// PostgreSQL + Redis.
import { constants, publicEncrypt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPost, dropSchema, get, post, startTestSignet, userCall, type TestSignet } from '../helpers/signet.js';
import { createCaptchaChallenge } from '../../src/domain/defence/captcha.js';
import { FakeClock } from '../helpers/clock.js';

const rest = userCall;

describe('password comparisons behind the sign-in defences (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  const PASSWORD = 'tall ships at dawn';

  beforeAll(async () => {
    // Every request of the test comes from 127.0.0.1: the per-IP failure rules would mix the tests.
    s = await startTestSignet({ backend: 'postgres', env: { SIGNET_IP_FAILURES_CAPTCHA: '0', SIGNET_IP_FAILURES_BLOCK: '0' } });
    for (const [tenant, policy] of [
      ['guarded', { always_captcha: true, lockout_enabled: false }],
      ['plain', {}],
    ] as const) {
      expect((await adminPost(s, '/admin/v1/tenants', { tenant_id: tenant, name: tenant, policy })).status).toBe(200);
      await adminPost(s, '/admin/v1/clients', {
        client_id: `${tenant}-web`,
        tenant_id: tenant,
        public: true,
        grant_types: ['password', 'refresh_token'],
        scopes: ['openid', 'user'],
        max_sessions: 100,
      });
    }
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  const user = async (tenant: string, username: string) => {
    const r = await adminPost(s, '/admin/v1/users', { tenant_id: tenant, username, password: PASSWORD });
    expect(r.status).toBe(200);
    return r.body.user_id as string;
  };
  const captchaToken = async (state: string) => {
    const c = await createCaptchaChallenge(s.running.deps, { state }, () => ({ text: 'Qx7k', svg: '<svg/>' }));
    const solved = await post(s.http, '/auth/v1/captcha/data/verify', { token: c.token, key: 'qX7K' });
    expect(solved.status).toBe(200);
    return solved.body.captcha_token as string;
  };
  const encrypted = async () => {
    const key = await get(s.http, '/auth/v1/public-key');
    const enc = (p: string) =>
      publicEncrypt({ key: key.body.public_key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(p)).toString('base64');
    return { enc, thumbprint: key.body.public_key_thumbprint as string };
  };

  it('the v2 password update asks for the captcha a sign-in would, before comparing anything', async () => {
    await user('guarded', 'gina');
    const { enc, thumbprint } = await encrypted();
    const body = (old: string, extra: object = {}) => ({
      client_id: 'guarded-web',
      username: 'gina',
      password: enc(old),
      new_password: enc('a brand new secret'),
      public_key_thumbprint: thumbprint,
      ...extra,
    });
    // The sign-in page and this route refuse alike, right or wrong password.
    const signin = await post(s.http, '/auth/v1/signin', { client_id: 'guarded-web', username: 'gina', password: PASSWORD });
    expect(signin.body.error).toBe('captcha_required');
    for (const old of ['wrong guess one', PASSWORD]) {
      const r = await post(s.http, '/auth/v2/signin/password/update', body(old));
      expect([r.status, r.body.error]).toEqual([400, 'captcha_required']);
    }
    // A captcha of another flow does not serve; one of this flow, in the query as the SDK puts it, does.
    const other = await captchaToken('POST:/v1/verification');
    const refused = await post(s.http, '/auth/v2/signin/password/update', body(PASSWORD, { captcha_token: other }));
    expect(refused.body.error).toBe('captcha_invalid');
    const token = await captchaToken('POST:/v2/signin/password/update');
    const ok = await post(s.http, `/auth/v2/signin/password/update?captcha_token=${encodeURIComponent(token)}`, body(PASSWORD));
    expect(ok.status).toBe(200);
    // The new password is the one now (the old one fails, captcha solved each time).
    const again = await captchaToken('POST:/v1/signin');
    const withNew = await post(s.http, `/auth/v1/signin?captcha_token=${encodeURIComponent(again)}`, {
      client_id: 'guarded-web',
      username: 'gina',
      password: 'a brand new secret',
    });
    expect(withNew.status).toBe(200);
  });

  it('sudo by password asks for the captcha too, and a wrong password counts towards the lock', async () => {
    await user('guarded', 'hank');
    const token = await captchaToken('POST:/v1/signin');
    const t = await post(s.http, `/auth/v1/signin?captcha_token=${encodeURIComponent(token)}`, {
      client_id: 'guarded-web',
      username: 'hank',
      password: PASSWORD,
    });
    expect(t.status).toBe(200);
    const access = t.body.access_token as string;
    const bare = await rest(s, 'POST', '/auth/v1/user/sudo', { password: PASSWORD }, access);
    expect([bare.status, bare.body.error]).toEqual([400, 'captcha_required']);
    const solved = await captchaToken('POST:/v1/user/sudo');
    const ok = await rest(s, 'POST', '/auth/v1/user/sudo', { password: PASSWORD, captcha_token: solved }, access);
    expect(ok.status).toBe(200);
    expect(ok.body.sudo_token).toMatch(/.{20,}/);

    // Default policy (lock at the 5th failure): wrong sudo passwords lock the account for sign-in too.
    await user('plain', 'ivy');
    const p = await post(s.http, '/auth/v1/signin', { client_id: 'plain-web', username: 'ivy', password: PASSWORD });
    const pa = p.body.access_token as string;
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push((await rest(s, 'POST', '/auth/v1/user/sudo', { password: `wrong ${i}` }, pa)).body.error);
    expect(answers.slice(0, 2)).toEqual(['invalid_password', 'invalid_password']);
    // The captcha comes due after 3 failures, as at sign-in, and the account ends locked or gated.
    expect(answers.slice(3).every((e) => e === 'captcha_required' || e === 'invalid_status')).toBe(true);
    const later = await post(s.http, '/auth/v1/signin', { client_id: 'plain-web', username: 'ivy', password: PASSWORD });
    expect(later.status).not.toBe(200);
  });

  it('reset and e-mail sign-up do the same work for a known and an unknown address until a token proves it', async () => {
    await adminPost(s, '/admin/v1/tenants/plain', { policy: { sign_up_enabled: true } }, 'PATCH');
    await adminPost(s, '/admin/v1/users', { tenant_id: 'plain', username: 'nora', email: 'nora@example.com', password: PASSWORD });
    const deps = s.running.deps;
    /** What one request costs: password hashes, hash comparisons and user lookups. */
    const work = async (send: () => Promise<{ status: number; body: any }>) => {
      const counts = { hash: 0, verify: 0, dummy: 0, lookups: 0 };
      const saved = {
        hash: deps.hasher.hash,
        verify: deps.hasher.verify,
        dummy: deps.hasher.verifyDummy,
        find: deps.storage.users.findByLogin,
      };
      deps.hasher.hash = (p) => (counts.hash++, saved.hash.call(deps.hasher, p));
      deps.hasher.verify = (h, p) => (counts.verify++, saved.verify.call(deps.hasher, h, p));
      deps.hasher.verifyDummy = (p) => (counts.dummy++, saved.dummy.call(deps.hasher, p));
      deps.storage.users.findByLogin = (...a) => (counts.lookups++, saved.find.apply(deps.storage.users, a));
      try {
        const r = await send();
        return { status: r.status, error: r.body?.error, ...counts };
      } finally {
        deps.hasher.hash = saved.hash;
        deps.hasher.verify = saved.verify;
        deps.hasher.verifyDummy = saved.dummy;
        deps.storage.users.findByLogin = saved.find;
      }
    };
    const forged = 'x'.repeat(43);
    for (const [path, body] of [
      [
        '/auth/v1/reset',
        (email: string) => ({ client_id: 'plain-web', email, verification_token: forged, new_password: 'a long new secret' }),
      ],
      [
        '/auth/v1/signup',
        (email: string) => ({ client_id: 'plain-web', email, verification_token: forged, password: 'a long new secret' }),
      ],
    ] as const) {
      const known = await work(() => post(s.http, path, body('nora@example.com')));
      const unknown = await work(() => post(s.http, path, body('nobody-here@example.com')));
      expect([path, known]).toEqual([path, unknown]);
      expect(known).toMatchObject({ status: 400, error: 'invalid_grant', hash: 0, verify: 0, lookups: 0 });
    }
  });

  it('a forged history page token past int8 is invalid_argument, not a 500', async () => {
    await user('plain', 'jo');
    const t = await post(s.http, '/auth/v1/signin', { client_id: 'plain-web', username: 'jo', password: PASSWORD });
    const forged = Buffer.from('1.9999999999999999999').toString('base64url');
    const r = await get(s.http, `/auth/v1/user/security/history?page_token=${forged}`, { authorization: `Bearer ${t.body.access_token}` });
    expect([r.status, r.body.error]).toEqual([400, 'invalid_argument']);
  });

  it('basic/edit refuses a username that would pass for an e-mail address or a phone number', async () => {
    await user('plain', 'kim');
    const t = await post(s.http, '/auth/v1/signin', { client_id: 'plain-web', username: 'kim', password: PASSWORD });
    for (const username of ['victim@example.com', '+8613800000000', '13800000000', 'x']) {
      const r = await rest(s, 'POST', '/auth/v1/user/basic/edit', { username }, t.body.access_token);
      expect([username, r.status, r.body.error]).toEqual([username, 400, 'invalid_argument']);
    }
    const ok = await rest(s, 'POST', '/auth/v1/user/basic/edit', { username: 'kim.lee' }, t.body.access_token);
    expect(ok.status).toBe(200);
  });

  it('SetPassword ends every other session (however many) and keeps the one that asked', async () => {
    await user('plain', 'lou');
    const sessions: string[] = [];
    for (let i = 0; i < 6; i++)
      sessions.push(
        (await post(s.http, '/auth/v1/signin', { client_id: 'plain-web', username: 'lou', password: PASSWORD })).body.access_token,
      );
    const mine = sessions[5];
    const sudo = await rest(s, 'POST', '/auth/v1/user/sudo', { password: PASSWORD }, mine);
    const set = await rest(
      s,
      'PATCH',
      '/auth/v1/user/password',
      { sudo_token: sudo.body.sudo_token, new_password: 'quiet rivers 2026' },
      mine,
    );
    expect(set.status).toBe(200);
    for (const old of sessions.slice(0, 5))
      expect((await get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${old}` })).status).toBe(401);
    expect((await get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${mine}` })).status).toBe(200);
  });
});

describe('request limits of the session routes (embedded)', () => {
  let s: TestSignet;
  beforeAll(async () => {
    // The limit's window pinned mid-minute: no minute boundary can split the burst.
    s = await startTestSignet({ backend: 'embedded', clock: FakeClock.midMinute(), env: { SIGNET_RATE_LIMIT_IP_PER_MINUTE: '8' } });
    await adminPost(s, '/admin/v1/tenants', { tenant_id: 'acme', name: 'Acme' });
    await adminPost(s, '/admin/v1/clients', {
      client_id: 'web',
      tenant_id: 'acme',
      public: true,
      grant_types: ['password'],
      scopes: ['openid', 'user'],
    });
    await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username: 'mo', password: 'tall ships at dawn' });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('listing sessions and reading the history count against the IP limit like any request', async () => {
    const t = await post(s.http, '/auth/v1/signin', { client_id: 'web', username: 'mo', password: 'tall ships at dawn' });
    expect(t.status).toBe(200);
    const auth = { authorization: `Bearer ${t.body.access_token}` };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await get(s.http, '/auth/v1/user/sessions', auth)).status);
      statuses.push((await get(s.http, '/auth/v1/user/security/history', auth)).status);
    }
    expect(statuses).toContain(429);
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
  });
});
