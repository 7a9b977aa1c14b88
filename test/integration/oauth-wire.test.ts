// Standard OAuth 2.0 clients: form bodies (RFC 6749, RFC 7009), client_secret_basic and
// client_secret_post, driven by openid-client through discovery, and raw form requests.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { adminPost, dropSchema, post, seed, startTestSignet, freePort, basicAuth, type TestSignet } from '../helpers/signet.js';
import { withPg } from '../helpers/db.js';

/** A secret as a client may have chosen it: the characters Basic and forms must encode. */
const ODD_SECRET = 'a:b%c+d e/f=g&h';

async function form(base: string, path: string, params: Record<string, string> | string, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof params === 'string' ? params : new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

describe('standard OAuth 2.0 requests (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  let issuer: string;

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    s = await startTestSignet({ backend: 'postgres', env: { SIGNET_HTTP_PORT: String(port), SIGNET_ISSUER: issuer } });
    fx = await seed(s);
    // A confidential client for every grant, whose secret holds the characters that need encoding.
    await adminPost(s, '/admin/v1/clients', {
      client_id: 'odd',
      tenant_id: 'acme',
      grant_types: ['password', 'refresh_token', 'client_credentials', 'sms'],
      scopes: ['openid', 'user', 'orders.read'],
    });
    const hash = createHash('sha256').update(ODD_SECRET).digest('hex');
    await withPg((c) => c.query(`UPDATE "${s.schema}".clients SET secret_hash = $1 WHERE id = 'odd'`, [hash]));
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  const discover = async (clientId: string, auth: oidc.ClientAuth) =>
    oidc.discovery(new URL(issuer), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });

  describe('openid-client, through discovery', () => {
    it('gets a client_credentials token with client_secret_basic and with client_secret_post', async () => {
      for (const auth of [oidc.ClientSecretBasic(fx.secret), oidc.ClientSecretPost(fx.secret)]) {
        const config = await discover('svc', auth);
        const t = await oidc.clientCredentialsGrant(config, { scope: 'orders.read' });
        expect(t.access_token).toMatch(/^ey/);
        expect(t.token_type.toLowerCase()).toBe('bearer');
        expect(t.scope).toBe('orders.read');
      }
    });

    it('refreshes a token from a sign-in and revokes it', async () => {
      const signin = await post(issuer, '/auth/v1/signin?client_id=web', { username: 'alice', password: fx.password });
      expect(signin.status).toBe(200);
      const config = await discover('web', oidc.None());
      const t = await oidc.refreshTokenGrant(config, signin.body.refresh_token);
      expect(t.refresh_token).toBeTruthy();
      expect(t.refresh_token).not.toBe(signin.body.refresh_token);
      await oidc.tokenRevocation(config, t.refresh_token!, { token_type_hint: 'refresh_token' });
      await expect(oidc.refreshTokenGrant(config, t.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('revokes with client_secret_basic', async () => {
      const config = await discover('svc', oidc.ClientSecretBasic(fx.secret));
      const signin = await form(
        issuer,
        '/auth/v1/token',
        { grant_type: 'password', username: 'alice', password: fx.password },
        {
          authorization: basicAuth('svc', fx.secret),
        },
      );
      expect(signin.status).toBe(200);
      await oidc.tokenRevocation(config, signin.body.access_token);
      const me = await fetch(`${issuer}/auth/v1/user/me`, { headers: { authorization: `Bearer ${signin.body.access_token}` } });
      expect(me.status).toBe(401);
    });
  });

  describe('raw form bodies', () => {
    it('serve every grant, with a secret holding ":", "%" and "+" in HTTP Basic and in the body', async () => {
      for (const auth of ['basic', 'post'] as const) {
        const send = (params: Record<string, string>) =>
          auth === 'basic'
            ? form(issuer, '/auth/v1/token', params, { authorization: basicAuth('odd', ODD_SECRET) })
            : form(issuer, '/auth/v1/token', { ...params, client_id: 'odd', client_secret: ODD_SECRET });
        const cc = await send({ grant_type: 'client_credentials', scope: 'orders.read' });
        expect(cc.status, auth).toBe(200);
        expect(cc.headers.get('cache-control')).toBe('no-store');
        expect(cc.headers.get('pragma')).toBe('no-cache');
        const pw = await send({ grant_type: 'password', username: 'alice', password: fx.password });
        expect(pw.status, auth).toBe(200);
        const rt = await send({ grant_type: 'refresh_token', refresh_token: pw.body.refresh_token });
        expect(rt.status, auth).toBe(200);
        // The SMS grant reads its form fields: a wrong code is told apart from a missing one.
        const sms = await send({ grant_type: 'sms', phone: '+8613800000000', captcha: '000000', captcha_key: 'no-such-id' });
        expect(sms.body.error, auth).toBe('verification_invalid');
        const missing = await send({ grant_type: 'sms', phone: '+8613800000000' });
        expect(missing.body.error, auth).toBe('invalid_argument');
      }
    });

    it('answers a failed HTTP Basic authentication with 401 and WWW-Authenticate', async () => {
      const r = await form(issuer, '/auth/v1/token', { grant_type: 'client_credentials' }, { authorization: basicAuth('odd', 'wrong') });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(r.body).toMatchObject({ error: 'unauthorized_client', code: 16 });
      expect(r.body.error_description).toBeTruthy();
      const post = await form(issuer, '/auth/v1/token', { grant_type: 'client_credentials', client_id: 'odd', client_secret: 'wrong' });
      expect(post.status).toBe(401);
      expect(post.headers.get('www-authenticate')).toBeNull();
    });

    it('refuses repeated parameters and credentials that disagree', async () => {
      const twice = await form(issuer, '/auth/v1/token', 'grant_type=client_credentials&grant_type=password&client_id=odd');
      expect(twice.status).toBe(400);
      expect(twice.body.error).toBe('invalid_argument');
      const ids = await form(
        issuer,
        '/auth/v1/token',
        { grant_type: 'client_credentials', client_id: 'svc' },
        {
          authorization: basicAuth('odd', ODD_SECRET),
        },
      );
      expect(ids).toMatchObject({ status: 400, body: { error: 'invalid_argument' } });
      const secrets = await form(
        issuer,
        '/auth/v1/token',
        { grant_type: 'client_credentials', client_secret: 'other' },
        {
          authorization: basicAuth('odd', ODD_SECRET),
        },
      );
      expect(secrets).toMatchObject({ status: 400, body: { error: 'invalid_argument' } });
      const queryBody = await form(issuer, '/auth/v1/token?client_id=web', { grant_type: 'client_credentials', client_id: 'odd' });
      expect(queryBody).toMatchObject({ status: 400, body: { error: 'invalid_argument' } });
      // The CloudBase SDK's habit: the same client id in the query and the body.
      const same = await post(issuer, '/auth/v1/signin?client_id=web', { client_id: 'web', username: 'alice', password: fx.password });
      expect(same.status).toBe(200);
    });

    it('takes forms only where OAuth defines them; any other body must be JSON', async () => {
      const signin = await form(issuer, '/auth/v1/signin?client_id=web', { username: 'alice', password: fx.password });
      expect(signin).toMatchObject({ status: 400, body: { error: 'invalid_argument' } });
      const revoked = await form(issuer, '/auth/v1/revoke', { token: 'not-a-token', client_id: 'web', unknown_param: 'ignored' });
      expect(revoked.status).toBe(200);
      const notJson = await fetch(`${issuer}/auth/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'grant_type=x',
      });
      expect(notJson.status).toBe(400);
    });
  });

  it('advertises only what works', async () => {
    const d = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    expect(d.issuer).toBe(issuer);
    // The standard endpoints; CloudBase's GET /auth/v1/user/me keeps its own shape.
    expect(d.userinfo_endpoint).toBe(`${issuer}/oidc/userinfo`);
    expect(d.end_session_endpoint).toBe(`${issuer}/oidc/logout`);
    expect(d.authorization_endpoint).toBe(`${issuer}/oidc/authorize`);
    expect(d.response_types_supported).toEqual(['code']);
    expect(d.response_modes_supported).toEqual(['query']);
    expect(d.grant_types_supported.sort()).toEqual([
      'authorization_code',
      'client_credentials',
      'password',
      'refresh_token',
      'sms',
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    expect(d.device_authorization_endpoint).toBe(`${issuer}/auth/v1/device/code`);
    expect(d.code_challenge_methods_supported).toEqual(['S256']);
    expect(d.token_endpoint_auth_methods_supported.sort()).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
    expect(d.revocation_endpoint_auth_methods_supported.sort()).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
  });
});
