// The hosted login, consent and logout pages in a real browser (Debian's chromium, headless),
// against a Signet on PostgreSQL + Redis: what the protocol-level test
// (test/integration/hosted-login.test.ts) cannot show — the labels really name their inputs,
// the page's own script encrypts the password, the CSP lets the captcha and the logo render,
// cookies carry single sign-on, and a framed page does not render. The client's redirect URIs
// are on a local site, so the browser lands somewhere real and the test reads the answer from
// the address bar. SIGNET_SCREENSHOTS=1 also writes docs/login-en.png, docs/login-zh-CN.png
// and docs/consent-en.png.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startLocalSite, type LocalSite } from '../helpers/browser.js';
import { solveCaptcha } from '../helpers/cloudbase.js';
import { pkce } from '../helpers/page-client.js';
import { adminPost, dropSchema, freePort, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';

const SHOTS = process.env.SIGNET_SCREENSHOTS === '1';
const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const VIEWPORT = { width: 480, height: 720 };
const NONCE = 'n-0S6_WzA2Mj';
const BRAND = { display_name: 'Acme Corporation', primary_color: '#0f766e' };
// Small on purpose: the admin API's generic line check (src/transport/line.ts) still caps
// logo_url at 256 characters, below what branding.ts and the README allow.
const LOGO = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="40" viewBox="0 0 8 8">' +
    '<rect width="8" height="8" rx="2" fill="#0f766e"/><path d="M2 6 4 2l2 4z" fill="#fff"/></svg>',
).toString('base64')}`;
const PASSWORD = 'correct horse battery staple';
const EN = { login: 'Username, e-mail or phone', password: 'Password', captcha: 'Characters in the picture' };

describe('hosted login in a real browser (chromium, PostgreSQL + Redis)', { timeout: 10_000 }, () => {
  let s: TestSignet;
  let site: LocalSite;
  let browser: Browser;
  let issuer: string;
  let alice: string;
  const contexts: BrowserContext[] = [];

  const cb = (clientId: string) => `${site.origin}/${clientId}/cb`;
  /** A fresh authorization request: its URL, and what the client keeps (verifier, state). */
  const authorize = (clientId: string, extra: Record<string, string> = {}) => {
    const p = pkce();
    const state = `st-${randomBytes(4).toString('hex')}`;
    const q = new URLSearchParams({
      client_id: clientId,
      redirect_uri: cb(clientId),
      response_type: 'code',
      scope: 'openid profile',
      state,
      nonce: NONCE,
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
    return { url: `${s.http}/oidc/authorize?${q}`, verifier: p.verifier, state, clientId };
  };
  type Request = ReturnType<typeof authorize>;

  /** A new browser profile (no cookies) and a page in it. */
  const open = async (locale = 'en-US'): Promise<Page> => {
    const context = await browser.newContext({ locale, viewport: VIEWPORT });
    context.setDefaultTimeout(8_000);
    contexts.push(context);
    return context.newPage();
  };
  const fillSignIn = async (page: Page, login: string, password: string) => {
    await page.getByLabel(EN.login, { exact: true }).fill(login);
    await page.getByLabel(EN.password, { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  };
  /** Waits for the browser to land on the client's redirect URI; the answer's parameters. */
  const landed = async (page: Page, r: Request): Promise<URLSearchParams> => {
    await page.waitForURL((u) => u.href.startsWith(`${cb(r.clientId)}?`));
    const to = new URL(page.url());
    expect(to.searchParams.get('state')).toBe(r.state);
    expect(to.searchParams.get('iss')).toBe(issuer);
    expect(await page.textContent('body')).toBe('ok');
    return to.searchParams;
  };
  const signInAt = async (page: Page, r: Request, login = 'alice') => {
    await page.goto(r.url);
    await fillSignIn(page, login, PASSWORD);
    return landed(page, r);
  };
  /** The client's side: the code and the PKCE verifier at the token endpoint, from Node. */
  const redeem = async (r: Request, code: string) => {
    const t = await post(s.http, '/auth/v1/token', {
      grant_type: 'authorization_code',
      client_id: r.clientId,
      code,
      redirect_uri: cb(r.clientId),
      code_verifier: r.verifier,
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    return decodeJwt(t.body.id_token);
  };
  const shoot = async (page: Page, name: string) => {
    if (SHOTS) await page.screenshot({ path: `${DOCS}${name}.png`, fullPage: true });
  };
  const admin = async (path: string, body: unknown, method = 'POST') => {
    const r = await adminPost(s, path, body, method);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };
  const client = (tenant_id: string, client_id: string, name: string, extra: Record<string, unknown> = {}) =>
    admin('/admin/v1/clients', {
      tenant_id,
      client_id,
      name,
      public: true,
      first_party: true,
      grant_types: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'user', 'profile'],
      redirect_uris: [cb(client_id)],
      ...extra,
    });

  beforeAll(async () => {
    browser = await launchChromium();
    site = await startLocalSite();
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    s = await startTestSignet({ backend: 'postgres', env: { SIGNET_HTTP_PORT: String(port), SIGNET_ISSUER: issuer } });
    alice = (await seed(s, { password: PASSWORD })).userId;
    await admin('/admin/v1/tenants/acme', { policy: { ...BRAND, logo_url: LOGO } }, 'PATCH');
    await admin('/admin/v1/users', { tenant_id: 'acme', username: 'bob', password: PASSWORD });
    await client('acme', 'portal', 'Acme Portal');
    await client('acme', 'console', 'Acme Console');
    await client('acme', 'partner', 'Partner App', { first_party: false });
    await client('acme', 'secure', 'Acme Secure', { password_encryption: 'required' });
    // A tenant that asks for a captcha after two failed passwords.
    await admin('/admin/v1/tenants', { tenant_id: 'guarded', name: 'Guarded', policy: { captcha_after_failures: 2 } });
    await admin('/admin/v1/users', { tenant_id: 'guarded', username: 'carol', password: PASSWORD });
    await client('guarded', 'vault', 'Vault');
  }, 60_000);
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('signs in through the labelled form; the client redeems the code for an id_token (nonce, amr pwd)', async () => {
    const page = await open();
    const r = authorize('portal');
    await page.goto(r.url);
    // Clicking a label moves the focus to its input (the login field has autofocus, so the
    // password's label goes first): each label is tied to its field.
    await page.getByText(EN.password, { exact: true }).click();
    await page.keyboard.type(PASSWORD);
    await page.getByText(EN.login, { exact: true }).click();
    await page.keyboard.type('alice');
    expect(await page.getByLabel(EN.login, { exact: true }).inputValue()).toBe('alice');
    expect(await page.getByLabel(EN.password, { exact: true }).inputValue()).toBe(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const answer = await landed(page, r);
    const id = await redeem(r, answer.get('code')!);
    expect(id).toMatchObject({ nonce: NONCE, amr: ['pwd'], aud: 'portal', sub: alice, iss: issuer });
  });

  it('a wrong password shows the attempts left and stays on the page, the login kept', async () => {
    const page = await open();
    await page.goto(authorize('portal').url);
    await fillSignIn(page, 'bob', 'not the password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Account or password is wrong, 4 attempts left.');
    expect(new URL(page.url()).origin).toBe(s.http);
    expect(await page.getByLabel(EN.login, { exact: true }).inputValue()).toBe('bob');
    expect(await page.getByLabel(EN.password, { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel(EN.captcha).count()).toBe(0);
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain('signet_sso');
  });

  it('after failures the captcha appears and renders; solved, it lets the right password in', async () => {
    const page = await open();
    const r = authorize('vault');
    await page.goto(r.url);
    await fillSignIn(page, 'carol', 'wrong once');
    await page.getByText('4 attempts left').waitFor();
    expect(await page.getByLabel(EN.captcha).count()).toBe(0);
    await fillSignIn(page, 'carol', 'wrong twice');
    await page.getByText('3 attempts left').waitFor();
    const image = page.getByRole('img', { name: 'Picture with characters to type' });
    await image.waitFor();
    // Rendered, not merely present: the CSP lets the data: picture load.
    expect(await image.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0)).toBe(true);
    const key = await page.locator('input[name="captcha_key"]').inputValue();
    await page.getByLabel(EN.captcha, { exact: true }).fill(await solveCaptcha(s, key));
    await fillSignIn(page, 'carol', PASSWORD);
    expect((await landed(page, r)).get('code')).toBeTruthy();
  });

  it('a third-party client asks consent, listing the scopes; Allow sends the code; the next visit does not ask', async () => {
    const page = await open();
    const r = authorize('partner');
    await page.goto(r.url);
    await fillSignIn(page, 'alice', PASSWORD);
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Allow access');
    expect(await page.getByText('Partner App wants to:').count()).toBe(1);
    expect(await page.getByRole('listitem').allTextContents()).toEqual(['Know who you are', 'See your name and profile']);
    await shoot(page, 'consent-en');
    await page.getByRole('button', { name: 'Allow' }).click();
    expect((await landed(page, r)).get('code')).toBeTruthy();

    const again = authorize('partner');
    const res = await page.goto(again.url);
    expect(res?.request().redirectedFrom()?.url()).toBe(again.url); // answered with a redirect, no page
    expect((await landed(page, again)).get('code')).toBeTruthy();
  });

  it('single sign-on: a second client gets its code without a page, for the same user', async () => {
    const page = await open();
    await signInAt(page, authorize('portal'));
    const documents: string[] = [];
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) documents.push(f.url());
    });
    const r = authorize('console');
    const res = await page.goto(r.url);
    const code = (await landed(page, r)).get('code')!;
    expect(res?.request().redirectedFrom()?.url()).toBe(r.url);
    // The only document shown was the client's: no login page in between.
    expect(documents).toEqual([page.url()]);
    expect(await page.locator('input[type="password"]').count()).toBe(0);
    expect(await redeem(r, code)).toMatchObject({ aud: 'console', sub: alice, amr: ['pwd'] });
  });

  it('logout ends single sign-on: the next authorization request shows the login page again', async () => {
    const page = await open();
    await signInAt(page, authorize('portal'));
    expect((await page.context().cookies()).map((c) => c.name)).toContain('signet_sso');
    // Without an id_token_hint the user confirms: a link elsewhere cannot sign them out.
    await page.goto(`${s.http}/oidc/logout`);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByText('You are signed out.').waitFor();
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain('signet_sso');
    await page.goto(authorize('portal').url);
    await page.getByLabel(EN.password, { exact: true }).waitFor();
    expect(new URL(page.url()).origin).toBe(s.http);
  });

  it('speaks ui_locales first, then the browser language; shows the tenant brand', async () => {
    const page = await open('en-US');
    await page.goto(authorize('portal', { ui_locales: 'zh-CN' }).url);
    await page.getByLabel('密码', { exact: true }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.getByRole('button', { name: '登录', exact: true }).count()).toBe(1);
    await shoot(page, 'login-zh-CN');

    await page.goto(authorize('portal').url);
    await page.getByLabel(EN.password, { exact: true }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('header .tenant').textContent()).toBe(BRAND.display_name);
    const logo = page.locator('header img');
    expect(await logo.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0)).toBe(true);
    const button = page.getByRole('button', { name: 'Sign in', exact: true });
    expect(await button.evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(15, 118, 110)'); // #0f766e
    await shoot(page, 'login-en');

    const zh = await open('zh-CN');
    await zh.goto(authorize('portal').url);
    await zh.getByLabel('密码', { exact: true }).waitFor();
  });

  it('RSA transport: the page encrypts the password (PKCS#1 v1.5) and the server signs in with it', async () => {
    const page = await open();
    const r = authorize('secure');
    await page.goto(r.url);
    await page.getByText('Your password is encrypted in this page before it is sent.').waitFor();
    const bytes = Number(await page.locator('#pw-form').getAttribute('data-k'));
    const sent = page.waitForRequest((q) => q.method() === 'POST' && q.url().startsWith(`${s.http}/oidc/authorize/login?`));
    await fillSignIn(page, 'alice', PASSWORD);
    const form = new URLSearchParams((await sent).postData() ?? '');
    expect(form.get('login')).toBe('alice');
    expect(form.get('password')).not.toContain('horse');
    expect(Buffer.from(form.get('password')!, 'base64')).toHaveLength(bytes);
    expect([...form.keys()].filter((k) => k === 'password')).toHaveLength(1);
    expect(await redeem(r, (await landed(page, r)).get('code')!)).toMatchObject({ amr: ['pwd'], sub: alice });
  });

  it('cannot be framed: a client page framing the login page gets the error page, while its own frame renders', async () => {
    const r = authorize('portal');
    site.page(
      '/framer',
      `<!doctype html><iframe name="own" src="/control"></iframe><iframe name="signet" src="${r.url.replace(/&/g, '&amp;')}"></iframe>`,
    );
    const page = await open();
    const served = page.waitForResponse((res) => res.url() === r.url);
    const refused = page.waitForEvent('console', (m) => m.type() === 'error' && m.text().includes(`"frame-ancestors 'none'"`));
    await page.goto(`${site.origin}/framer`);
    // Signet did answer with the login page; the browser refused to show it, for its CSP.
    expect((await served).status()).toBe(200);
    expect((await refused).text()).toContain('The request has been blocked');
    expect(await page.frame({ name: 'own' })?.textContent('body')).toBe('ok');
    const framed = page.frame({ name: 'signet' })!;
    expect(framed.url()).toBe('chrome-error://chromewebdata/');
    expect(await framed.locator('input').count()).toBe(0);
  });
});
