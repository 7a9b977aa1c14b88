// The authorization endpoint with its hosted pages, over plain HTTP as a browser speaks it
// (cookies, form posts, redirects), against PostgreSQL + Redis: sign-in, single sign-on,
// consent, prompt and max_age, CSRF, framing, open redirects, code redemption, logout, the
// device page and "forgot password". The real-browser run is test/browser/hosted-login.test.ts.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { adminPost, dropSchema, freePort, get, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { FakeClock } from '../helpers/clock.js';
import { PageClient, formsOf, pkce, type PageAnswer } from '../helpers/page-client.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';

const FIRST = 'https://app.acme.example/cb';
const THIRD = 'https://partner.example/cb';

describe('hosted login page and authorization endpoint (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let hook: CodeHook;
  let fx: Awaited<ReturnType<typeof seed>>;
  let issuer: string;
  const clock = new FakeClock(Date.now());

  const authorizeUrl = (q: Record<string, string>) => `/oidc/authorize?${new URLSearchParams(q)}`;
  const request = (clientId: string, redirectUri: string, extra: Record<string, string> = {}) => {
    const p = pkce();
    const q = {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid profile',
      state: `st-${randomBytes(4).toString('hex')}`,
      nonce: 'n-0S6_WzA2Mj',
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
      ...extra,
    };
    return { url: authorizeUrl(q), verifier: p.verifier, state: q.state };
  };
  const answerOf = (location: string | null) => {
    expect(location).toBeTruthy();
    return new URL(location!);
  };
  const signIn = (b: PageClient, page: PageAnswer, password = fx.password, login = 'alice') =>
    b.submit(page, '/oidc/authorize/login', { login, password }, { method: 'password' });

  beforeAll(async () => {
    hook = await startCodeHook();
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    s = await startTestSignet({
      backend: 'postgres',
      env: { SIGNET_HTTP_PORT: String(port), SIGNET_ISSUER: issuer, ...hook.env() },
      clock,
    });
    fx = await seed(s);
    for (const c of [
      { client_id: 'portal', name: 'Acme Portal', first_party: true, redirect_uris: [FIRST] },
      { client_id: 'partner', name: 'Partner App', first_party: false, redirect_uris: [THIRD] },
    ]) {
      const r = await adminPost(s, '/admin/v1/clients', {
        tenant_id: 'acme',
        public: true,
        grant_types: ['authorization_code', 'refresh_token'],
        scopes: ['openid', 'user', 'profile', 'email', 'offline_access'],
        ...c,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
  });
  afterAll(async () => {
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  it('discovery names the authorization endpoint and what it supports', async () => {
    const d = (await get(s.http, '/.well-known/openid-configuration')).body;
    expect(d.authorization_endpoint).toBe(`${issuer}/oidc/authorize`);
    expect(d.response_types_supported).toEqual(['code']);
    expect(d.prompt_values_supported).toContain('none');
    expect(d.authorization_response_iss_parameter_supported).toBe(true);
    expect(d.request_uri_parameter_supported).toBe(false);
    expect(d.ui_locales_supported).toEqual(['zh-CN', 'en']);
  });

  it('an unknown client or a redirect URI not registered exactly is a page, never a redirect', async () => {
    const b = new PageClient(s.http);
    for (const uri of [`${THIRD}/x`, `${THIRD}?a=1`, 'https://evil.example/cb', 'https://partner.example/CB', '']) {
      const r = await b.get(request('partner', uri).url);
      expect(r.status, uri).toBe(400);
      expect(r.location).toBeNull();
      expect(r.html).toContain('role="alert"');
    }
    const unknown = await b.get(request('nobody', THIRD).url);
    expect(unknown.status).toBe(401);
    expect(unknown.location).toBeNull();
  });

  it('other refusals go back to the redirect URI with the state and the issuer', async () => {
    const b = new PageClient(s.http);
    const cases: Array<[Record<string, string>, string]> = [
      [{ code_challenge: '', code_challenge_method: '' }, 'invalid_request'], // a public client must use PKCE
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'openid admin' }, 'invalid_scope'],
      [{ prompt: 'none login' }, 'invalid_request'],
      [{ max_age: 'soon' }, 'invalid_request'],
      [{ request: 'eyJ...' }, 'request_not_supported'],
      [{ prompt: 'none' }, 'login_required'],
    ];
    for (const [extra, error] of cases) {
      const q = request('partner', THIRD, extra);
      const r = await b.get(q.url);
      expect(r.status, JSON.stringify(extra)).toBe(302);
      const to = answerOf(r.location);
      expect(to.origin + to.pathname).toBe(THIRD);
      expect(to.searchParams.get('error'), JSON.stringify(extra)).toBe(error);
      expect(to.searchParams.get('state')).toBe(q.state);
      expect(to.searchParams.get('iss')).toBe(issuer);
    }
  });

  it('the login page cannot be framed, loads nothing from elsewhere, and sets only an HttpOnly SameSite=Lax CSRF cookie', async () => {
    const b = new PageClient(s.http);
    const r = await b.get(request('portal', FIRST, { login_hint: 'alice' }).url);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self' https://app.acme.example");
    expect(r.headers.get('cache-control')).toBe('no-store');
    const setCookie = r.headers.getSetCookie();
    expect(setCookie).toHaveLength(1);
    expect(setCookie[0]).toMatch(/^signet_csrf=.*; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax$/);
    expect(r.html).toContain('value="alice"'); // login_hint
    expect(r.html).toContain('lang="en"');
  });

  it('every form post needs the CSRF token of the browser posting it', async () => {
    const victim = new PageClient(s.http);
    const attacker = new PageClient(s.http);
    const q = request('portal', FIRST);
    const attackerPage = await attacker.get(q.url);
    await victim.get(q.url);
    const form = formsOf(attackerPage.html).find((f) => f.action.startsWith('/oidc/authorize/login'))!;
    for (const [who, fields] of [
      ['no token', { ...form.fields, csrf: '' }],
      ["the attacker's token in the victim's browser", form.fields],
    ] as const) {
      const r = await victim.post(form.action, { ...fields, login: 'alice', password: fx.password });
      expect(r.status, who).toBe(403);
      expect(victim.cookies.has('signet_sso'), who).toBe(false);
    }
    // A cross-site post is refused even with the right token.
    const own = formsOf((await victim.get(q.url)).html).find((f) => f.action.startsWith('/oidc/authorize/login'))!;
    const cross = await victim.post(
      own.action,
      { ...own.fields, login: 'alice', password: fx.password },
      { 'sec-fetch-site': 'cross-site' },
    );
    expect(cross.status).toBe(403);
    for (const path of ['/oidc/authorize/consent', '/oidc/authorize/code', '/oidc/authorize/reset', '/oidc/authorize/reset/code']) {
      const r = await victim.post(`${path}?${q.url.split('?')[1]}`, { decision: 'approve', to: 'alice@example.com' });
      expect(r.status, path).toBe(403);
    }
  });

  it('a wrong password says how many attempts are left; the right one signs in and returns a code the client redeems', async () => {
    const b = new PageClient(s.http);
    const q = request('portal', FIRST);
    const page = await b.get(q.url);
    const wrong = await signIn(b, page, 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.html).toMatch(/4/); // 5 attempts by default, one used
    expect(b.cookies.has('signet_sso')).toBe(false);
    const ok = await signIn(b, wrong);
    expect(ok.status).toBe(302);
    expect(b.cookies.has('signet_sso')).toBe(true);
    const to = answerOf(ok.location);
    expect(to.searchParams.get('state')).toBe(q.state);
    const code = to.searchParams.get('code')!;
    const t = await post(s.http, '/auth/v1/token', {
      grant_type: 'authorization_code',
      client_id: 'portal',
      code,
      redirect_uri: FIRST,
      code_verifier: q.verifier,
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    const id = decodeJwt(t.body.id_token);
    expect(id.nonce).toBe('n-0S6_WzA2Mj');
    expect(id.amr).toEqual(['pwd']);
    expect(id.aud).toBe('portal');
    expect(typeof id.at_hash).toBe('string');
    expect(id.auth_time).toBe(Math.floor(clock.now() / 1000));
    // The code is single-use, and a replay ends what it issued.
    const again = await post(s.http, '/auth/v1/token', {
      grant_type: 'authorization_code',
      client_id: 'portal',
      code,
      redirect_uri: FIRST,
      code_verifier: q.verifier,
    });
    expect(again.status).toBe(400);
    expect((await get(s.http, '/oidc/userinfo', { authorization: `Bearer ${t.body.access_token}` })).status).toBe(401);
  });

  it('single sign-on: a second client gets its code without typing; a third-party client asks consent once', async () => {
    const b = new PageClient(s.http);
    await signIn(b, await b.get(request('portal', FIRST).url));
    const silent = await b.get(request('portal', FIRST, { prompt: 'none' }).url);
    expect(answerOf(silent.location).searchParams.get('code')).toBeTruthy();

    const q = request('partner', THIRD);
    const consent = await b.get(q.url);
    expect(consent.status).toBe(200);
    expect(consent.html).toContain('Partner App');
    expect(consent.html).toContain('See your name and profile');
    // A third-party client asked silently answers consent_required.
    const none = await b.get(request('partner', THIRD, { prompt: 'none' }).url);
    expect(answerOf(none.location).searchParams.get('error')).toBe('consent_required');
    const approved = await b.submit(consent, '/oidc/authorize/consent', { decision: 'approve' });
    const to = answerOf(approved.location);
    expect(to.searchParams.get('code')).toBeTruthy();
    expect(to.searchParams.get('state')).toBe(q.state);
    // Remembered: no page the second time, even silently.
    const second = await b.get(request('partner', THIRD, { prompt: 'none' }).url);
    expect(answerOf(second.location).searchParams.get('code')).toBeTruthy();
    // prompt=consent asks again; a denial is access_denied.
    const forced = await b.get(request('partner', THIRD, { prompt: 'consent' }).url);
    expect(forced.status).toBe(200);
    const denied = await b.submit(forced, '/oidc/authorize/consent', { decision: 'deny' });
    expect(answerOf(denied.location).searchParams.get('error')).toBe('access_denied');
  });

  it('a consent withdrawn by the user before the code is redeemed: the code is refused; the next request asks again', async () => {
    const b = new PageClient(s.http);
    await signIn(b, await b.get(request('portal', FIRST).url));
    const q = request('partner', THIRD, { scope: 'openid email' });
    const approved = await b.submit(await b.get(q.url), '/oidc/authorize/consent', { decision: 'approve' });
    const code = answerOf(approved.location).searchParams.get('code')!;
    const me = await post(s.http, '/auth/v1/signin?client_id=web', { username: 'alice', password: fx.password });
    const listed = await get(s.http, '/auth/v1/user/consents', { authorization: `Bearer ${me.body.access_token}` });
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(JSON.stringify(listed.body)).toContain('partner');
    const gone = await fetch(`${s.http}/auth/v1/user/consents/partner`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${me.body.access_token}` },
    });
    expect(gone.status).toBe(200);
    const t = await post(s.http, '/auth/v1/token', {
      grant_type: 'authorization_code',
      client_id: 'partner',
      code,
      redirect_uri: THIRD,
      code_verifier: q.verifier,
    });
    expect(t.status).toBe(400);
    expect(t.body.error).toBe('invalid_grant');
    expect((await b.get(request('partner', THIRD).url)).status).toBe(200); // the consent page again
  });

  it('prompt=login and max_age ask for the password again; signing in then satisfies them', async () => {
    const b = new PageClient(s.http);
    await signIn(b, await b.get(request('portal', FIRST).url));
    for (const extra of [{ prompt: 'login' }, { max_age: '60' }] as Record<string, string>[]) {
      clock.advance(120_000);
      const page = await b.get(request('portal', FIRST, extra).url);
      expect(page.status, JSON.stringify(extra)).toBe(200);
      expect(page.html).toContain('name="login"');
      const ok = await signIn(b, page);
      expect(answerOf(ok.location).searchParams.get('code'), JSON.stringify(extra)).toBeTruthy();
    }
    const fresh = await b.get(request('portal', FIRST, { max_age: '600' }).url);
    expect(fresh.status).toBe(302);
  });

  it('the page speaks ui_locales first, then Accept-Language', async () => {
    const b = new PageClient(s.http);
    const zh = await b.get(request('portal', FIRST, { ui_locales: 'zh-CN en' }).url);
    expect(zh.html).toContain('lang="zh-CN"');
    expect(zh.html).toContain('密码');
    const header = await b.get(request('portal', FIRST).url, { 'accept-language': 'zh-CN,zh;q=0.9' });
    expect(header.html).toContain('lang="zh-CN"');
    const en = await b.get(request('portal', FIRST, { ui_locales: 'fr en' }).url, { 'accept-language': 'zh-CN' });
    expect(en.html).toContain('lang="en"');
  });

  it('logout ends the browser session: the next silent request answers login_required', async () => {
    const b = new PageClient(s.http);
    await signIn(b, await b.get(request('portal', FIRST).url));
    // Without an id_token_hint the user confirms, so a link elsewhere cannot sign them out.
    const ask = await b.get('/oidc/logout');
    expect(ask.status).toBe(200);
    expect(b.cookies.has('signet_sso')).toBe(true);
    const forged = await b.post('/oidc/logout', {});
    expect(forged.status).toBe(200);
    expect(forged.html).toContain('Sign out of all apps');
    const out = await b.submit(ask, '/oidc/logout');
    expect(out.status).toBe(200);
    expect(out.html).toContain('You are signed out');
    expect(out.headers.getSetCookie().some((c) => /^signet_sso=; .*Max-Age=0/.test(c))).toBe(true);
    expect(b.cookies.has('signet_sso')).toBe(false);
    const none = await b.get(request('portal', FIRST, { prompt: 'none' }).url);
    expect(answerOf(none.location).searchParams.get('error')).toBe('login_required');
  });

  it('a stolen SSO cookie is worth nothing once the user signed out', async () => {
    const b = new PageClient(s.http);
    await signIn(b, await b.get(request('portal', FIRST).url));
    const stolen = b.cookies.get('signet_sso')!;
    await b.submit(await b.get('/oidc/logout'), '/oidc/logout');
    const thief = new PageClient(s.http);
    thief.cookies.set('signet_sso', stolen);
    const none = await thief.get(request('portal', FIRST, { prompt: 'none' }).url);
    expect(answerOf(none.location).searchParams.get('error')).toBe('login_required');
  });

  it('signing in again on the same browser ends the sign-in it replaces', async () => {
    const b = new PageClient(s.http);
    await signIn(b, await b.get(request('portal', FIRST).url));
    const first = b.cookies.get('signet_sso')!;
    await signIn(b, await b.get(request('portal', FIRST, { prompt: 'login' }).url));
    expect(b.cookies.get('signet_sso')).not.toBe(first);
    const old = new PageClient(s.http);
    old.cookies.set('signet_sso', first);
    const none = await old.get(request('portal', FIRST, { prompt: 'none' }).url);
    expect(answerOf(none.location).searchParams.get('error')).toBe('login_required');
  });

  it("a logout link with a bad hint, or with another user's id token, leaves the browser signed in", async () => {
    const b = new PageClient(s.http);
    await signIn(b, await b.get(request('portal', FIRST).url));
    const junk = await b.get('/oidc/logout?id_token_hint=x');
    expect(junk.status).toBe(400);
    expect(b.cookies.has('signet_sso')).toBe(true);
    // Another user's token, from a client that registered the attacker's page.
    await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username: 'mallory', password: 'an unrelated passphrase 77' });
    const m = await post(s.http, '/auth/v1/signin?client_id=web', { username: 'mallory', password: 'an unrelated passphrase 77' });
    expect(m.status, JSON.stringify(m.body)).toBe(200);
    const theirs = await b.get(`/oidc/logout?${new URLSearchParams({ id_token_hint: m.body.id_token })}`);
    expect(theirs.status, theirs.html).toBe(200);
    expect(b.cookies.has('signet_sso')).toBe(true);
    const still = await b.get(request('portal', FIRST, { prompt: 'none' }).url);
    expect(answerOf(still.location).searchParams.get('code')).toBeTruthy();
  });

  it('the request may come as a form post (OpenID Connect Core 3.1.2.1)', async () => {
    const b = new PageClient(s.http);
    const q = request('portal', FIRST);
    const r = await b.post('/oidc/authorize', Object.fromEntries(new URLSearchParams(q.url.split('?')[1])));
    expect(r.status, r.html).toBe(200);
    expect(r.html).toContain('name="login"');
    const ok = await signIn(b, r);
    expect(answerOf(ok.location).searchParams.get('state')).toBe(q.state);
  });

  it('prompt=select_account consent: one sign-in, one consent, then the code (no loop)', async () => {
    const b = new PageClient(s.http);
    const q = request('partner', THIRD, { prompt: 'select_account consent' });
    const consent = await signIn(b, await b.get(q.url));
    expect(consent.status).toBe(200);
    expect(consent.html).toContain('Partner App');
    const approved = await b.submit(consent, '/oidc/authorize/consent', { decision: 'approve' });
    expect(answerOf(approved.location).searchParams.get('code')).toBeTruthy();
  });

  it("signing in on the page never pushes out one of the client's app sessions", async () => {
    const solo = await adminPost(s, '/admin/v1/clients', {
      client_id: 'solo',
      tenant_id: 'acme',
      public: true,
      grant_types: ['password', 'authorization_code', 'refresh_token'],
      scopes: ['openid', 'user'],
      redirect_uris: [FIRST],
      max_sessions: 1,
    });
    expect(solo.status, JSON.stringify(solo.body)).toBe(200);
    const app = await post(s.http, '/auth/v1/signin?client_id=solo', { username: 'alice', password: fx.password });
    expect(app.status).toBe(200);
    const b = new PageClient(s.http);
    const page = await b.get(request('solo', FIRST, { scope: 'openid' }).url);
    expect(page.status, page.html.slice(-400)).toBe(200);
    await signIn(b, page);
    expect((await get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${app.body.access_token}` })).status).toBe(200);
  });

  it('wrong user codes from one IP in parallel cannot exceed the limit', async () => {
    const b = new PageClient(s.http);
    const entry = await b.get('/device');
    const tries = await Promise.all(
      Array.from({ length: 45 }, (_, i) =>
        b.submit(entry, '/device', { user_code: `BCDF${'GHJKLMNPQRSTVWXZ'[i % 16]}${'BCDFGHJKLMNPQRST'[Math.floor(i / 16)]}ZZ` }, {}),
      ),
    );
    const looked = tries.filter((t) => t.status === 400).length;
    const refused = tries.filter((t) => t.status === 429).length;
    expect(looked).toBeLessThanOrEqual(30);
    expect(looked + refused).toBe(45);
    // The window passes: the device test below starts with this IP's count at zero.
    clock.advance(900_000);
  });

  it('code sign-in: an e-mail code signs in with amr otp', async () => {
    const b = new PageClient(s.http);
    const q = request('portal', FIRST);
    const page = await b.get(q.url);
    const sent = await b.submit(page, '/oidc/authorize/code', { to: 'alice@example.com' });
    expect(sent.status, sent.html).toBe(200);
    const ok = await b.submit(sent, '/oidc/authorize/login', { code: hook.codeFor('alice@example.com') }, { method: 'code' });
    expect(ok.status, ok.html).toBe(302);
    const code = answerOf(ok.location).searchParams.get('code')!;
    const t = await post(s.http, '/auth/v1/token', {
      grant_type: 'authorization_code',
      client_id: 'portal',
      code,
      redirect_uri: FIRST,
      code_verifier: q.verifier,
    });
    expect(decodeJwt(t.body.id_token).amr).toEqual(['otp']);
  });

  it('forgot password: a reset code and a new password, then the new password signs in', async () => {
    const b = new PageClient(s.http);
    const q = request('portal', FIRST);
    const login = await b.get(q.url);
    const resetHref = /href="(\/oidc\/authorize\/reset\?[^"]*)"/.exec(login.html)![1].replace(/&#38;/g, '&');
    const reset = await b.get(resetHref);
    const sent = await b.submit(reset, '/oidc/authorize/reset/code', { to: '+8613800000000' });
    expect(sent.status, sent.html).toBe(200);
    const weak = await b.submit(sent, '/oidc/authorize/reset?', { code: hook.codeFor('+8613800000000'), new_password: 'short' });
    expect(weak.status).toBe(400);
    const done = await b.submit(weak, '/oidc/authorize/reset?', {
      code: hook.codeFor('+8613800000000'),
      new_password: 'a much better passphrase 42',
    });
    expect(done.status, done.html).toBe(200);
    expect(done.html).toContain('Your password was changed');
    const ok = await signIn(b, done, 'a much better passphrase 42');
    expect(answerOf(ok.location).searchParams.get('code')).toBeTruthy();
    fx.password = 'a much better passphrase 42';
  });

  it('the device page: enter the code, sign in, approve; the device gets its tokens', async () => {
    await adminPost(s, '/admin/v1/clients', {
      client_id: 'tv',
      tenant_id: 'acme',
      name: 'Living-room TV',
      public: true,
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      scopes: ['openid', 'user'],
    });
    const dev = await post(s.http, '/auth/v1/device/code', { client_id: 'tv', scope: 'openid' });
    expect(dev.status, JSON.stringify(dev.body)).toBe(200);
    expect(dev.body.verification_uri).toBe(`${issuer}/device`);
    const b = new PageClient(s.http);
    const entry = await b.get(`/device?user_code=${dev.body.user_code}`);
    expect(entry.html).toContain(dev.body.user_code);
    const wrong = await b.submit(entry, '/device', { user_code: 'BCDF-GHJK' });
    expect(wrong.status).toBe(400);
    const login = await b.submit(entry, '/device', { user_code: dev.body.user_code });
    expect(login.html).toContain('name="password"');
    const confirm = await b.submit(login, '/device/login', { login: 'alice', password: fx.password });
    expect(confirm.html).toContain('Living-room TV');
    const done = await b.submit(confirm, '/device/decide', { decision: 'approve' });
    expect(done.html).toContain('Done.');
    const t = await post(s.http, '/auth/v1/token', {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: 'tv',
      device_code: dev.body.device_code,
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(decodeJwt(t.body.id_token).amr).toEqual(['pwd']);
  });
});
