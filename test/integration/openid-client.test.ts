// openid-client, the certified relying-party library, against a running Signet end to end:
// discovery, the authorization code flow with PKCE through the hosted login page, refresh,
// userinfo, introspection, RP-initiated logout, and the device flow through the hosted /device
// page. The library checks what a real relying party checks (issuer, iss in the authorization
// response, state, nonce, id_token signature and claims, at_hash where given).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { adminPost, dropSchema, freePort, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { PageClient } from '../helpers/page-client.js';

const CB = 'https://rp.example/callback';
const AFTER_LOGOUT = 'https://rp.example/bye';

describe('openid-client drives Signet as its OpenID Provider (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  let issuer: string;
  let rp: oidc.Configuration;
  let tv: oidc.Configuration;

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    s = await startTestSignet({
      backend: 'postgres',
      // The device polls every second: openid-client waits the interval on the wall clock.
      env: { SIGNET_HTTP_PORT: String(port), SIGNET_ISSUER: issuer, SIGNET_DEVICE_CODE_INTERVAL_SECONDS: '1' },
    });
    fx = await seed(s);
    const app = await adminPost(s, '/admin/v1/clients', {
      client_id: 'grafana',
      tenant_id: 'acme',
      name: 'Grafana',
      grant_types: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'user', 'profile', 'email', 'offline_access'],
      redirect_uris: [CB, AFTER_LOGOUT],
      first_party: true,
    });
    expect(app.status, JSON.stringify(app.body)).toBe(200);
    const device = await adminPost(s, '/admin/v1/clients', {
      client_id: 'tv',
      tenant_id: 'acme',
      name: 'TV',
      public: true,
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      scopes: ['openid', 'user'],
    });
    expect(device.status, JSON.stringify(device.body)).toBe(200);
    const insecure = { execute: [oidc.allowInsecureRequests] };
    rp = await oidc.discovery(new URL(issuer), 'grafana', undefined, oidc.ClientSecretBasic(app.body.client_secret), insecure);
    tv = await oidc.discovery(new URL(issuer), 'tv', undefined, oidc.None(), insecure);
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('code + PKCE through the hosted page, refresh, userinfo, introspection, then RP-initiated logout', async () => {
    expect(rp.serverMetadata().issuer).toBe(issuer);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: CB,
      scope: 'openid profile email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    expect(url.origin + url.pathname).toBe(`${issuer}/oidc/authorize`);

    // The user's browser: the login page, the password, back to the relying party.
    const browser = new PageClient(issuer);
    const page = await browser.get(url.pathname + url.search);
    expect(page.status).toBe(200);
    const back = await browser.submit(
      page,
      '/oidc/authorize/login',
      { login: 'alice@example.com', password: fx.password },
      { method: 'password' },
    );
    expect(back.status, back.html).toBe(302);

    const tokens = await oidc.authorizationCodeGrant(rp, new URL(back.location!), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer, sub: fx.userId, aud: 'grafana', nonce, amr: ['pwd'] });
    expect(tokens.refresh_token).toBeTruthy();

    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()).toMatchObject({ sub: fx.userId, auth_time: claims.auth_time, amr: ['pwd'] });

    const info = await oidc.fetchUserInfo(rp, refreshed.access_token, fx.userId);
    expect(info).toMatchObject({ sub: fx.userId, email: 'alice@example.com', name: 'Alice' });

    const live = await oidc.tokenIntrospection(rp, refreshed.access_token);
    expect(live).toMatchObject({ active: true, sub: fx.userId, client_id: 'grafana' });

    // RP-initiated logout: the browser goes to end_session_endpoint and comes back with the state.
    const logout = oidc.buildEndSessionUrl(rp, {
      id_token_hint: refreshed.id_token!,
      post_logout_redirect_uri: AFTER_LOGOUT,
      state: 'bye-1',
    });
    const out = await browser.get(logout.pathname + logout.search);
    expect(out.status).toBe(302);
    expect(out.location).toBe(`${AFTER_LOGOUT}?state=bye-1`);
    expect(browser.cookies.has('signet_sso')).toBe(false);
    expect((await oidc.tokenIntrospection(rp, refreshed.access_token)).active).toBe(false);
    // Signed out of Signet too: a silent request now needs a login.
    const silent = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: CB,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      prompt: 'none',
    });
    const none = await browser.get(silent.pathname + silent.search);
    await expect(
      oidc.authorizationCodeGrant(rp, new URL(none.location!), { pkceCodeVerifier: verifier, expectedState: state }),
    ).rejects.toMatchObject({
      error: 'login_required',
    });
  });

  it('the device flow: openid-client polls while the user approves on the hosted /device page', async () => {
    const started = await oidc.initiateDeviceAuthorization(tv, { scope: 'openid' });
    expect(started.verification_uri).toBe(`${issuer}/device`);
    const browser = new PageClient(issuer);
    const entry = await browser.get(
      new URL(started.verification_uri_complete!).pathname + new URL(started.verification_uri_complete!).search,
    );
    // The code is prefilled from verification_uri_complete; the user only confirms it.
    expect(entry.html).toContain(started.user_code);
    const login = await browser.submit(entry, '/device', { user_code: started.user_code });
    const confirm = await browser.submit(login, '/device/login', { login: 'alice', password: fx.password }, { method: 'password' });
    expect(confirm.html).toContain('TV');
    const polling = oidc.pollDeviceAuthorizationGrant(tv, started);
    await browser.submit(confirm, '/device/decide', { decision: 'approve' });
    const tokens = await polling;
    expect(tokens.claims()).toMatchObject({ iss: issuer, sub: fx.userId, aud: 'tv', amr: ['pwd'] });
  });
});
