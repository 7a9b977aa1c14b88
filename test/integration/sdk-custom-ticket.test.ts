// The official CloudBase JS SDK (@cloudbase/oauth 3.3.3), unchanged, signing in with a custom
// ticket against a real Signet (PostgreSQL + Redis) through the recording proxy: the app sets its
// ticket function (setCustomSignFunc, which in a real app asks the app's backend), then
// signInWithCustomTicket posts it to /auth/v1/signin/custom and keeps the credentials.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudbaseOAuth } from '@cloudbase/oauth';
import { adminPost, dropSchema, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { memoryStorage, startRecordingProxy, type RecordingProxy, rejection } from '../helpers/cloudbase.js';
import { FakeClock } from '../helpers/clock.js';
import { ticketBackend, type TicketBackend } from '../helpers/tickets.js';

describe('@cloudbase/oauth 3.3.3: signInWithCustomTicket against Signet (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let proxy: RecordingProxy;
  let backend: TicketBackend;
  const clock = FakeClock.midMinute();

  /** A browser whose app's backend mints tickets for `uid` (claims overridable to make bad ones). */
  const browser = (uid: string, claims?: Record<string, unknown>) => {
    const storage = memoryStorage();
    const sdk = new CloudbaseOAuth({ apiOrigin: proxy.url, clientId: 'web', env: 'acme', storage });
    sdk.authApi.setCustomSignFunc(() => backend.ticket(uid, clock.now(), claims));
    return { sdk, storage };
  };

  beforeAll(async () => {
    s = await startTestSignet({ backend: 'postgres', clock });
    await seed(s);
    backend = await ticketBackend({ clientId: 'web', issuer: s.config.issuer }, 'backend-2026', 'RS256');
    await adminPost(s, '/admin/v1/clients/web/ticket-keys', { kid: backend.kid, public_key: backend.publicJwk });
    await adminPost(s, '/admin/v1/clients/web', { custom_ticket_sign_up: true }, 'PATCH');
    proxy = await startRecordingProxy(s.http);
  });
  beforeEach(() => clock.advance(60_000));
  afterAll(async () => {
    await proxy?.close();
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('posts the ticket as the SDK does, stores the credentials, then reads the user', async () => {
    const { sdk, storage } = browser('shop-user-1');
    const mark = proxy.mark();
    const creds = await sdk.authApi.signInWithCustomTicket();
    const [sent] = proxy.since(mark);
    expect(`${sent.method} ${sent.path}`).toBe('POST /auth/v1/signin/custom');
    expect(sent.query).toEqual({ client_id: 'web' });
    expect(sent.json).toEqual({ provider_id: 'custom', ticket: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) });
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.status).toBe(200);
    expect(creds).toMatchObject({ token_type: 'Bearer', sub: expect.any(String), refresh_token: expect.any(String) });
    expect(JSON.parse(storage.map.get('credentials_web')!).refresh_token).toBe(creds.refresh_token);

    expect(await sdk.authApi.getUserInfo()).toMatchObject({ sub: creds.sub, is_anonymous: false });
    // The next sign-in of the same backend user, from another browser, is the same Signet user.
    expect((await browser('shop-user-1').sdk.authApi.signInWithCustomTicket()).sub).toBe(creds.sub);
  });

  it('keeps the session going: the refresh the SDK does once the access token is old', async () => {
    const { sdk } = browser('shop-user-2');
    const first = await sdk.authApi.signInWithCustomTicket();
    const fresh = await sdk.authApi.refreshTokenForce({});
    expect(fresh.refresh_token).not.toBe(first.refresh_token);
    expect((await sdk.authApi.getUserInfo()).sub).toBe(first.sub);
  });

  it('surfaces an expired ticket as invalid_grant with its message, storing nothing', async () => {
    const now = Math.floor(clock.now() / 1000);
    const { sdk, storage } = browser('shop-user-1', { iat: now - 200, exp: now - 100 });
    const err = await rejection(sdk.authApi.signInWithCustomTicket());
    expect(err).toMatchObject({ error: 'invalid_grant', error_description: '自定义登录凭证已过期，请重新获取' });
    expect(storage.map.get('credentials_web')).toBeUndefined();
  });

  it('surfaces a ticket for another server as invalid_grant', async () => {
    const { sdk } = browser('shop-user-1', { aud: 'https://other.example' });
    expect(await rejection(sdk.authApi.signInWithCustomTicket())).toMatchObject({
      error: 'invalid_grant',
      error_description: '自定义登录凭证无效',
    });
  });
});
