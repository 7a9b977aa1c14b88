// The official CloudBase SDK (@cloudbase/oauth 3.3.3) asking, for its signed-in user, an
// authorization code for another client of the tenant (authApi.authorizeInfo, authApi.authorize),
// and that client redeeming it at the token endpoint with its PKCE verifier. PostgreSQL + Redis,
// through the recording proxy so the assertions see what the SDK really sent.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudbaseOAuth } from '@cloudbase/oauth';
import { decodeJwt } from 'jose';
import { adminPost, dropSchema, get, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { memoryStorage, startRecordingProxy, type RecordingProxy } from '../helpers/cloudbase.js';

const CB = 'https://partner.example/cb';

describe('@cloudbase/oauth authorize and authorizeInfo against Signet (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  let proxy: RecordingProxy;
  let sdk: CloudbaseOAuth;

  beforeAll(async () => {
    s = await startTestSignet({ backend: 'postgres' });
    fx = await seed(s);
    const partner = await adminPost(s, '/admin/v1/clients', {
      client_id: 'partner',
      tenant_id: 'acme',
      name: 'Partner App',
      public: true,
      grant_types: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'user', 'profile', 'orders.read'],
      redirect_uris: [CB],
    });
    expect(partner.status, JSON.stringify(partner.body)).toBe(200);
    proxy = await startRecordingProxy(s.http);
    sdk = new CloudbaseOAuth({ apiOrigin: proxy.url, clientId: 'web', env: 'acme', storage: memoryStorage() });
    await sdk.authApi.signIn({ username: 'alice', password: fx.password });
  });
  afterAll(async () => {
    await proxy?.close();
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('authorizeInfo names the client and the scopes asked for, with the bearer token', async () => {
    const mark = proxy.mark();
    const info = await sdk.authApi.authorizeInfo({ client_id: 'partner', redirect_uri: CB, scope: 'openid orders.read' });
    const [c] = proxy.since(mark);
    expect(c.method).toBe('GET');
    expect(c.path).toBe('/auth/v1/user/authorize/info');
    expect(c.headers.authorization).toMatch(/^Bearer /);
    expect(info.client).toMatchObject({ id: 'partner', name: 'Partner App' });
    expect(info.scopes?.map((x) => x.id)).toEqual(['openid', 'orders.read']);
  });

  // The answer is CloudBase's AuthorizeResponse {code, state} (models.ts). But the SDK's request
  // wrapper (oauth2client.ts, `if (response?.code) throw {error: response.code, ...}`) takes any
  // body with a truthy `code` for a CloudBase error body {code, message}: authApi.authorize
  // therefore REJECTS, with the authorization code in `error`. That is the SDK's behaviour
  // against any server that follows its own model; an app reads the code from the rejection.
  it('authorize answers {code, state}; the SDK 3.3.3 rejects it with the code as `error`, which the partner redeems', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const mark = proxy.mark();
    const rejected = (await sdk.authApi
      .authorize({
        client_id: 'partner',
        response_type: 'code',
        redirect_uri: CB,
        state: 'xyz',
        scope: 'openid profile',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })
      .then(
        () => {
          throw new Error('the SDK resolved: its request wrapper no longer treats `code` as an error');
        },
        (e: { error: string; error_uri: string }) => e,
      )) as { error: string; error_uri: string };
    const [c] = proxy.since(mark);
    expect(`${c.method} ${c.path}`).toBe('POST /auth/v1/user/authorize');
    expect(c.headers.authorization).toMatch(/^Bearer /);
    expect(c.json).toMatchObject({ client_id: 'partner', redirect_uri: CB, code_challenge: challenge, code_challenge_method: 'S256' });
    expect(c.status).toBe(200);
    const body = c.response as { code: string; state: string };
    expect(body.state).toBe('xyz');
    expect(body.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rejected).toMatchObject({ error: body.code, error_uri: '/auth/v1/user/authorize' });

    const t = await post(s.http, '/auth/v1/token', {
      grant_type: 'authorization_code',
      client_id: 'partner',
      code: rejected.error,
      redirect_uri: CB,
      code_verifier: verifier,
    });
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(decodeJwt(t.body.access_token)).toMatchObject({ client_id: 'partner', sub: fx.userId, scope: 'openid profile' });
    expect((await get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${t.body.access_token}` })).status).toBe(200);
    // The SDK's own session (client `web`) is untouched.
    expect(await sdk.authApi.hasLoginState()).toBe(true);
  });

  it('the SDK sees the refusals as CloudBase errors (plain PKCE, an unregistered redirect URI)', async () => {
    const plain = await sdk.authApi
      .authorize({
        client_id: 'partner',
        response_type: 'code',
        redirect_uri: CB,
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'plain',
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(plain).toMatchObject({ error: 'invalid_argument' });
    const elsewhere = await sdk.authApi
      .authorize({
        client_id: 'partner',
        response_type: 'code',
        redirect_uri: `${CB}/`,
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(elsewhere).toMatchObject({ error: 'invalid_argument' });
  });
});
