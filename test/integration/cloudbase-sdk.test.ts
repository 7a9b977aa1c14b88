// The official CloudBase JS SDK (@cloudbase/oauth 3.3.3, the real package, not a re-implementation)
// against a real Signet on PostgreSQL + Redis, through a recording proxy so every assertion can
// look at what the SDK sent, what Signet answered and what the SDK stored.
//
// Node shims: none. The SDK runs in Node 20 as is: it uses the global `fetch` (undici), reads
// `window`/`sessionStorage`/`navigator` only inside try/catch, and gets its storage from us (an
// in-memory stand-in for localStorage). Undici adds `accept: */*`, `accept-language: *`,
// `sec-fetch-mode: cors`, `user-agent: node` and `accept-encoding` on its own; a browser would
// send its own values instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudbaseOAuth, type AuthOptions, type Credentials } from '@cloudbase/oauth';
import { dropSchema, get, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { memoryStorage, startRecordingProxy, type Exchange, type RecordingProxy, rejection } from '../helpers/cloudbase.js';

/** Where the SDK keeps the credentials of client `web` (`credentials_${clientId}`). */
const CREDENTIALS_KEY = 'credentials_web';
const TOKEN_KEYS = [
  'access_token',
  'expires_in',
  'groups',
  'id_token',
  'need_weda_resource',
  'refresh_token',
  'scope',
  'sub',
  'token_type',
];

/** The stored credentials, as the SDK serialised them (expires_at is an ISO string there). */
type Stored = Credentials & { expires_at: string; id_token?: string };

const line = (e: Exchange) => `${e.method} ${e.url}`;

/**
 * The i18n option @cloudbase/js-sdk passes down (its LANGS enum exists only in @cloudbase/types'
 * declarations, hence the cast): the SDK sends `Accept-Language: <lang>` instead of a header
 * named "undefined".
 */
const I18N_EN = { LANG_HEADER_KEY: 'Accept-Language', lang: 'en-US', t: (x: string) => x } as unknown as NonNullable<AuthOptions['i18n']>;

describe('@cloudbase/oauth 3.3.3 against Signet (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  let proxy: RecordingProxy;

  /** A browser tab: the SDK configured as the CloudBase docs say, over its own storage. */
  const browser = (storage = memoryStorage(), extra: Partial<AuthOptions> = {}) => {
    const sdk = new CloudbaseOAuth({ apiOrigin: proxy.url, clientId: 'web', env: 'acme', storage, ...extra });
    const stored = (): Stored | undefined => {
      const raw = storage.map.get(CREDENTIALS_KEY);
      return raw === undefined ? undefined : JSON.parse(raw);
    };
    return { sdk, storage, stored };
  };
  const me = (accessToken: string) => get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${accessToken}` });
  const refresh = (refresh_token: string) =>
    post(s.http, '/auth/v1/token', { client_id: 'web', client_secret: '', grant_type: 'refresh_token', refresh_token });

  beforeAll(async () => {
    s = await startTestSignet({ backend: 'postgres' });
    // Several "browsers" (device ids) sign in here; keep the session cap out of the way except
    // where a test is about it.
    fx = await seed(s, { maxSessions: 20 });
    proxy = await startRecordingProxy(s.http);
  });
  afterAll(async () => {
    await proxy?.close();
    await s?.stop();
    await dropSchema(s?.schema);
  });

  describe('one browser through sign-in, profile, lazy refresh, wrong password and sign-out', () => {
    const tab = () => shared;
    let shared: ReturnType<typeof browser>;
    let signedIn: Credentials;

    it('signs in with username + password and stores the credentials with an expiry', async () => {
      shared = browser();
      const { sdk, storage, stored } = tab();
      const mark = proxy.mark();
      const before = Date.now();
      signedIn = await sdk.authApi.signIn({ username: 'alice', password: fx.password });
      const after = Date.now();

      const calls = proxy.since(mark);
      expect(calls.map(line)).toEqual(['POST /auth/v1/signin?client_id=web']);
      const [c] = calls;
      // What the SDK put on the wire.
      expect(c.json).toEqual({ username: 'alice', password: fx.password });
      expect(c.headers['content-type']).toBe('text/plain;charset=UTF-8');
      expect(c.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
      expect(c.headers['x-device-id']).toMatch(/^[0-9a-f]{32}$/);
      expect(c.headers.authorization).toBeUndefined();
      // Without an `i18n` option the SDK spreads `{[i18n?.LANG_HEADER_KEY]: i18n?.lang}` into the
      // headers, i.e. a header literally named "undefined" (see the CORS test below).
      expect(c.headers.undefined).toBe('undefined');
      expect(c.status).toBe(200);
      expect(Object.keys(c.response as object).sort()).toEqual(TOKEN_KEYS);

      // What the SDK returned: Signet's token body, unchanged.
      expect(signedIn).toEqual(c.response);
      expect(signedIn).toMatchObject({ token_type: 'Bearer', sub: fx.userId, groups: ['admins'], scope: 'openid user' });
      expect(signedIn.expires_in).toBe(7200);

      // What it stored: the body plus `version` and `expires_at = now + (expires_in - 30 s)`.
      const st = stored()!;
      expect(st).toEqual({ ...(c.response as object), version: 'v1', expires_at: expect.any(String) });
      const expiresAt = Date.parse(st.expires_at);
      expect(expiresAt).toBeGreaterThanOrEqual(before + (7200 - 30) * 1000);
      expect(expiresAt).toBeLessThanOrEqual(after + (7200 - 30) * 1000);
      // The device id it sent is the one it keeps for this browser.
      expect(storage.map.get('device_id')).toBe(c.headers['x-device-id']);

      // The SDK now considers itself signed in, from storage alone (no network).
      const quiet = proxy.mark();
      expect(await sdk.authApi.hasLoginState()).toBe(true);
      expect(await sdk.oauth2client.getAccessToken()).toBe(signedIn.access_token);
      expect(await sdk.authApi.loginGroups()).toEqual(['admins']);
      expect(await sdk.authApi.loginScope()).toBe('openid user');
      expect(proxy.since(quiet)).toEqual([]);
    });

    it("reads alice's profile through GET /auth/v1/user/me with the stored bearer token", async () => {
      const { sdk } = tab();
      const mark = proxy.mark();
      const info = await sdk.authApi.getUserInfo();
      const calls = proxy.since(mark);
      expect(calls.map(line)).toEqual(['GET /auth/v1/user/me']); // authenticated: no client_id
      expect(calls[0].headers.authorization).toBe(`Bearer ${signedIn.access_token}`);
      expect(calls[0].body).toBe('');
      expect(calls[0].status).toBe(200);
      expect(info).toMatchObject({
        sub: fx.userId,
        uid: fx.userId, // the SDK copies sub to uid
        username: 'alice',
        name: 'Alice',
        email: 'alice@example.com',
        phone_number: '+8613800000000',
        groups: [{ id: 'admins' }],
      });
      expect(info.created_at).toEqual(expect.any(String));
    });

    it('refreshes lazily once the stored credentials have expired, and stores the rotated pair', async () => {
      const { sdk, stored } = tab();
      const old = stored()!;
      // Make the credentials look expired the way time would: the SDK's own setter, which writes
      // both its memory copy and storage (a storage-only edit is not seen until a reload: the SDK
      // reads storage only when its memory copy has expired).
      await sdk.oauth2client.setCredentials({ ...old, expires_at: new Date(Date.now() - 1000) });
      expect(Date.parse(stored()!.expires_at)).toBeLessThan(Date.now());

      const mark = proxy.mark();
      const info = await sdk.authApi.getUserInfo();
      const calls = proxy.since(mark);
      expect(calls.map(line)).toEqual(['POST /auth/v1/token?client_id=web', 'GET /auth/v1/user/me']);
      const [r, m] = calls;
      expect(r.json).toEqual({ client_id: 'web', client_secret: '', grant_type: 'refresh_token', refresh_token: old.refresh_token });
      expect(r.headers['content-type']).toBe('text/plain;charset=UTF-8');
      expect(r.headers.authorization).toBeUndefined();
      expect(r.status).toBe(200);
      expect(Object.keys(r.response as object).sort()).toEqual(TOKEN_KEYS);

      const now = stored()!;
      expect(now.refresh_token).not.toBe(old.refresh_token); // rotation
      expect(now.access_token).not.toBe(old.access_token);
      expect(now).toEqual({ ...(r.response as object), version: 'v1', expires_at: expect.any(String) });
      expect(Date.parse(now.expires_at)).toBeGreaterThan(Date.now() + 7000 * 1000);
      expect(m.headers.authorization).toBe(`Bearer ${now.access_token}`);
      expect(m.status).toBe(200);
      expect(info.sub).toBe(fx.userId);
      // The new pair works against Signet directly too.
      expect((await me(now.access_token!)).status).toBe(200);
    });

    it('refreshes after a reload: a new SDK instance over storage whose credentials have expired', async () => {
      const { storage, stored } = tab();
      const old = stored()!;
      storage.map.set(CREDENTIALS_KEY, JSON.stringify({ ...old, expires_at: new Date(Date.now() - 1000).toISOString() }));
      const reloaded = browser(storage);

      const mark = proxy.mark();
      const token = await reloaded.sdk.oauth2client.getAccessToken();
      const calls = proxy.since(mark);
      expect(calls.map(line)).toEqual(['POST /auth/v1/token?client_id=web']);
      expect(calls[0].json).toMatchObject({ grant_type: 'refresh_token', refresh_token: old.refresh_token });
      expect(calls[0].headers['x-device-id']).toBe(storage.map.get('device_id')); // same browser
      expect(stored()!.refresh_token).not.toBe(old.refresh_token);
      expect(token).toBe(stored()!.access_token);
      expect((await me(token)).status).toBe(200);
      shared = reloaded;
    });

    it('rotates on a forced refresh (refreshTokenForce) as well', async () => {
      const { sdk, stored } = tab();
      const old = stored()!;
      const mark = proxy.mark();
      const fresh = await sdk.authApi.refreshTokenForce({});
      expect(proxy.since(mark).map(line)).toEqual(['POST /auth/v1/token?client_id=web']);
      expect(fresh.refresh_token).not.toBe(old.refresh_token);
      expect(stored()!.refresh_token).toBe(fresh.refresh_token);
    });

    it('rejects a wrong password with error invalid_password and the message, keeping the session', async () => {
      const { sdk, stored } = tab();
      const kept = stored();
      const mark = proxy.mark();
      const err = await rejection(sdk.authApi.signIn({ username: 'alice', password: 'not the password' }));
      const calls = proxy.since(mark);
      expect(calls.map(line)).toEqual(['POST /auth/v1/signin?client_id=web']); // no retry
      const body = calls[0].response as Record<string, any>;
      expect(calls[0].status).toBe(401);
      expect(err).toMatchObject({
        error: 'invalid_password',
        error_description: body.message,
        error_uri: '/auth/v1/signin', // the SDK adds it
      });
      expect(typeof err.error_description).toBe('string');
      expect(err.error_description.length).toBeGreaterThan(0);
      expect(err.error_code).toBe(body.error_code);
      expect(err.requestId).toBe(calls[0].headers['x-request-id']); // the SDK adds it
      expect(err.details).toEqual(body.details);
      // A failed sign-in leaves the current credentials alone.
      expect(stored()).toEqual(kept);
    });

    it('signs out through POST /auth/v1/revoke; the old access token is then refused by Signet', async () => {
      const { sdk, storage, stored } = tab();
      const last = stored()!;
      expect((await me(last.access_token!)).status).toBe(200);

      const mark = proxy.mark();
      const res = await sdk.authApi.signOut();
      const calls = proxy.since(mark);
      expect(calls.map(line)).toEqual(['POST /auth/v1/revoke?client_id=web']);
      expect(calls[0].json).toEqual({ token: last.access_token });
      expect(calls[0].headers.authorization).toBeUndefined();
      expect(calls[0].status).toBe(200);
      expect(res).toEqual({});

      expect(storage.map.has(CREDENTIALS_KEY)).toBe(false);
      const after = await me(last.access_token!);
      expect(after.status).toBe(401);
      expect(after.body).toMatchObject({ error: 'unauthenticated' });
      expect((await refresh(last.refresh_token!)).body.error).toBe('invalid_grant');
      expect(await sdk.authApi.hasLoginState()).toBe(false);
    });
  });

  it('signs out with params through POST /auth/v1/user/signout with the bearer token', async () => {
    const { sdk, storage, stored } = browser();
    await sdk.authApi.signIn({ username: 'alice', password: fx.password });
    const t = stored()!;
    const mark = proxy.mark();
    expect(await sdk.authApi.signOut({})).toEqual({});
    const calls = proxy.since(mark);
    expect(calls.map(line)).toEqual(['POST /auth/v1/user/signout']);
    expect(calls[0].headers.authorization).toBe(`Bearer ${t.access_token}`);
    expect(calls[0].json).toEqual({});
    expect(calls[0].status).toBe(200);
    expect(storage.map.has(CREDENTIALS_KEY)).toBe(false);
    expect((await me(t.access_token!)).status).toBe(401);
    expect((await refresh(t.refresh_token!)).body.error).toBe('invalid_grant');
  });

  it('drops its credentials when Signet answers unauthenticated to an authenticated call', async () => {
    const { sdk, storage, stored } = browser();
    await sdk.authApi.signIn({ username: 'alice', password: fx.password });
    const t = stored()!;
    // The session ends elsewhere (another tab, an admin): revoke behind the SDK's back.
    expect((await post(s.http, '/auth/v1/revoke', { token: t.refresh_token })).status).toBe(200);
    const mark = proxy.mark();
    const err = await rejection(sdk.authApi.getUserInfo());
    expect(proxy.since(mark).map((e) => [line(e), e.status])).toEqual([['GET /auth/v1/user/me', 401]]);
    expect(err).toMatchObject({ error: 'unauthenticated', error_uri: '/auth/v1/user/me' });
    expect(storage.map.has(CREDENTIALS_KEY)).toBe(false);
  });

  it('turns invalid_grant on a lazy refresh into unauthenticated and drops its credentials', async () => {
    const { sdk, storage, stored } = browser();
    await sdk.authApi.signIn({ username: 'alice', password: fx.password });
    const t = stored()!;
    expect((await post(s.http, '/auth/v1/revoke', { token: t.access_token })).status).toBe(200);
    await sdk.oauth2client.setCredentials({ ...t, expires_at: new Date(Date.now() - 1000) });
    const mark = proxy.mark();
    const err = await rejection(sdk.authApi.getUserInfo());
    const calls = proxy.since(mark);
    expect(calls.map((e) => [line(e), e.status])).toEqual([['POST /auth/v1/token?client_id=web', 400]]);
    expect(calls[0].response).toMatchObject({ error: 'invalid_grant' });
    expect(err).toMatchObject({ error: 'unauthenticated' });
    expect(storage.map.has(CREDENTIALS_KEY)).toBe(false);
  });

  it('replaces the earlier session when the same browser (x-device-id) signs in again', async () => {
    const { sdk, storage, stored } = browser();
    await sdk.authApi.signIn({ username: 'alice', password: fx.password });
    const first = stored()!;
    const mark = proxy.mark();
    await sdk.authApi.signIn({ username: 'alice', password: fx.password });
    expect(proxy.since(mark)[0].headers['x-device-id']).toBe(storage.map.get('device_id'));
    const second = stored()!;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await refresh(first.refresh_token!)).body.error).toBe('invalid_grant');
    expect((await me(second.access_token!)).status).toBe(200);
  });

  it('sends the Accept-Language of its i18n option (as @cloudbase/js-sdk configures it) and Signet answers in it', async () => {
    const { sdk } = browser(memoryStorage(), { i18n: I18N_EN });
    const mark = proxy.mark();
    const err = await rejection(sdk.authApi.signIn({ username: 'alice', password: 'nope' }));
    const [c] = proxy.since(mark);
    expect(c.headers['accept-language']).toBe('en-US');
    expect(c.headers.undefined).toBeUndefined();
    expect(err.error).toBe('invalid_password');
    expect(err.error_description).toMatch(/^Account or password is wrong/);
  });

  // A browser preflights every SDK call (x-request-id, x-device-id and Authorization are not
  // CORS-safelisted). These tests replay, as a browser would, the preflight for exactly the
  // headers the SDK set on a sign-in and a profile call.
  const SET_BY_UNDICI = new Set([
    'host',
    'connection',
    'content-length',
    'content-type',
    'accept',
    'accept-language',
    'accept-encoding',
    'user-agent',
    'sec-fetch-mode',
  ]);
  const headersSdkSets = async (extra: Partial<AuthOptions> = {}) => {
    const { sdk } = browser(memoryStorage(), extra);
    const mark = proxy.mark();
    await sdk.authApi.signIn({ username: 'alice', password: fx.password });
    await sdk.authApi.getUserInfo();
    await sdk.authApi.signOut();
    const calls = proxy.since(mark);
    expect(calls.map(line)).toEqual(['POST /auth/v1/signin?client_id=web', 'GET /auth/v1/user/me', 'POST /auth/v1/revoke?client_id=web']);
    return [...new Set(calls.flatMap((e) => Object.keys(e.headers)))].filter((h) => !SET_BY_UNDICI.has(h)).sort();
  };
  const preflight = async (headers: string[]) => {
    const r = await fetch(`${s.http}/auth/v1/signin?client_id=web`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': headers.join(','),
      },
    });
    const allowed = (r.headers.get('access-control-allow-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
    return { status: r.status, origin: r.headers.get('access-control-allow-origin'), missing: headers.filter((h) => !allowed.includes(h)) };
  };

  it('allows in its CORS preflight the headers the SDK sets when i18n is configured', async () => {
    const names = await headersSdkSets({ i18n: I18N_EN });
    expect(names).toEqual(['authorization', 'x-device-id', 'x-request-id']);
    const p = await preflight([...names, 'accept-language']);
    expect(p).toEqual({ status: 204, origin: '*', missing: [] });
  });

  // Configured as documented, without `i18n`, @cloudbase/oauth 3.3.3 sends on every request a
  // header named `undefined` (oauth2client.ts, request(): `[this.i18n?.LANG_HEADER_KEY]:
  // this.i18n?.lang`). A browser preflights it; Signet reflects requested header names so the
  // call is not blocked.
  it('allows the `undefined` header the SDK sends when no i18n is configured (browser preflight)', async () => {
    const names = await headersSdkSets();
    expect(names).toEqual(['authorization', 'undefined', 'x-device-id', 'x-request-id']);
    const p = await preflight(names);
    expect(p).toEqual({ status: 204, origin: '*', missing: [] });
  });
});
