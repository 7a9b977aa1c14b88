// The official CloudBase SDK (@cloudbase/oauth, unchanged) through its v2 session and its session
// and history calls, against a real Signet on PostgreSQL + Redis, through the recording proxy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudbaseOAuth, type Credentials } from '@cloudbase/oauth';
import { adminPost, dropSchema, get, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { memoryStorage, startRecordingProxy, type Exchange, type RecordingProxy, rejection } from '../helpers/cloudbase.js';

const CREDENTIALS_KEY = 'credentials_web';
type Stored = Credentials & { expires_at: string; version?: string };
const line = (e: Exchange) => `${e.method} ${e.path}`;

describe('@cloudbase/oauth: v2 session, devices and behaviour log against Signet', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  let proxy: RecordingProxy;

  const browser = () => {
    const storage = memoryStorage();
    const sdk = new CloudbaseOAuth({ apiOrigin: proxy.url, clientId: 'web', env: 'acme', storage });
    const stored = (): Stored | undefined => {
      const raw = storage.map.get(CREDENTIALS_KEY);
      return raw === undefined ? undefined : JSON.parse(raw);
    };
    return { sdk, storage, stored };
  };
  const me = (accessToken: string) => get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${accessToken}` });

  beforeAll(async () => {
    s = await startTestSignet({ backend: 'postgres' });
    fx = await seed(s, { maxSessions: 20 });
    proxy = await startRecordingProxy(s.http);
  });
  afterAll(async () => {
    await proxy?.close();
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('signs in encrypted (v2, isEncrypt), reads user/me v2, and refreshes at /auth/v2/token when the token expired', async () => {
    const { sdk, stored } = browser();
    const mark = proxy.mark();
    const creds = await sdk.authApi.signIn({ username: 'alice', password: fx.password, version: 'v2', isEncrypt: true } as any);
    const calls = proxy.since(mark);
    expect(calls.map(line)).toEqual(['POST /auth/v2/signin/publichkey', 'POST /auth/v2/signin/username']);
    expect(Object.keys(calls[1].json as object).sort()).toEqual(['params', 'public_key_thumbprint']);
    expect(calls[1].status).toBe(200);
    expect(creds.sub).toBe(fx.userId);
    expect(stored()!.version).toBe('v2');

    const m1 = proxy.mark();
    const info = await sdk.authApi.getUserInfo({ version: 'v2' });
    expect(proxy.since(m1).map(line)).toEqual(['GET /auth/v2/user/me']);
    expect(info).toMatchObject({ sub: fx.userId, username: 'alice' });

    // Expire the access token the way time would (the SDK's own setter: memory and storage).
    const old = stored()!;
    await sdk.oauth2client.setCredentials({ ...old, expires_at: new Date(Date.now() - 1000) } as any);
    const m2 = proxy.mark();
    const again = await sdk.authApi.getUserInfo({ version: 'v2' });
    const refreshCalls = proxy.since(m2);
    expect(refreshCalls.map(line)).toEqual(['POST /auth/v2/token', 'GET /auth/v2/user/me']);
    expect(refreshCalls[0].json).toMatchObject({ grant_type: 'refresh_token', refresh_token: old.refresh_token });
    expect(refreshCalls[0].status).toBe(200);
    expect(again.sub).toBe(fx.userId);
    const now = stored()!;
    expect(now.version).toBe('v2');
    expect(now.refresh_token).not.toBe(old.refresh_token);
    expect(refreshCalls[1].headers.authorization).toBe(`Bearer ${now.access_token}`);
  });

  it('signs in with plain v2 credentials (no isEncrypt)', async () => {
    const { sdk, stored } = browser();
    const mark = proxy.mark();
    const creds = await sdk.authApi.signIn({ username: 'alice', password: fx.password, version: 'v2' } as any);
    const [c] = proxy.since(mark);
    expect(line(c)).toBe('POST /auth/v2/signin/username');
    expect(c.json).toEqual({ username: 'alice', password: fx.password });
    expect(creds.sub).toBe(fx.userId);
    expect(stored()!.version).toBe('v2');
    // A wrong password: the SDK rejects with Signet's error.
    const err = await rejection(browser().sdk.authApi.signIn({ username: 'alice', password: 'wrong', version: 'v2' } as any));
    expect(err.error).toBe('invalid_password');
  });

  it('revokeDevice ends the sessions on that device only; revokeAllDevices ends an older session at once', async () => {
    const u = await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username: 'carol', password: 'quiet-meadow-71' });
    expect(u.status).toBe(200);
    const tabA = browser();
    const tabB = browser();
    const a = await tabA.sdk.authApi.signIn({ username: 'carol', password: 'quiet-meadow-71' });
    const b = await tabB.sdk.authApi.signIn({ username: 'carol', password: 'quiet-meadow-71' });
    const deviceA = tabA.storage.map.get('device_id')!;
    expect(deviceA).toMatch(/^[0-9a-f]{32}$/);
    expect(tabB.storage.map.get('device_id')).not.toBe(deviceA);

    const mark = proxy.mark();
    await tabB.sdk.authApi.revokeDevice({ device_id: deviceA });
    const [c] = proxy.since(mark);
    expect(`${c.method} ${c.path} ${c.status}`).toBe(`DELETE /auth/v1/user/authorized/devices/${deviceA} 200`);
    expect((await me(a.access_token!)).status).toBe(401);
    expect((await me(b.access_token!)).status).toBe(200);

    // A third tab, then revokeAllDevices from it: the older session (B) is refused at once.
    const tabC = browser();
    const cc = await tabC.sdk.authApi.signIn({ username: 'carol', password: 'quiet-meadow-71' });
    const m2 = proxy.mark();
    await tabC.sdk.authApi.revokeAllDevices();
    expect(proxy.since(m2).map((e) => `${line(e)} ${e.status}`)).toEqual(['DELETE /auth/v1/user/revoke/all 200']);
    expect((await me(b.access_token!)).status).toBe(401);
    expect((await me(cc.access_token!)).status).toBe(401);
    const refused = await post(s.http, '/auth/v1/token', { client_id: 'web', grant_type: 'refresh_token', refresh_token: b.refresh_token });
    expect(refused.body.error).toBe('invalid_grant');
  });

  it('getUserBehaviorLog LOGIN lists the sign-ins, MODIFY the rest', async () => {
    const u = await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username: 'dave', password: 'amber-canyon-83' });
    expect(u.status).toBe(200);
    const other = browser();
    await other.sdk.authApi.signIn({ username: 'dave', password: 'amber-canyon-83' });
    await other.sdk.authApi.revokeAllDevices();
    const { sdk } = browser();
    await sdk.authApi.signIn({ username: 'dave', password: 'amber-canyon-83' });

    const mark = proxy.mark();
    const logins: any = await sdk.authApi.getUserBehaviorLog({ type: 'LOGIN', limit: 10 });
    const [c] = proxy.since(mark);
    expect(c.url).toBe('/auth/v1/user/security/history?query[action]=USER_LOGIN&limit=10');
    expect(c.status).toBe(200);
    expect(logins.data.map((e: any) => e.action)).toEqual(['USER_LOGIN', 'USER_LOGIN']);
    expect(logins.data[0].meta).toEqual({ from: 'signin' });

    const modify: any = await sdk.authApi.getUserBehaviorLog({ type: 'MODIFY', limit: 10 });
    expect(modify.data.map((e: any) => [e.action, e.meta.from])).toEqual([['SESSIONS_REVOKED', 'all']]);
  });
});
