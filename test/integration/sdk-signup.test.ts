// The official CloudBase JS SDK (@cloudbase/oauth 3.3.3), unchanged, creating accounts against a
// real Signet on PostgreSQL + Redis through the recording proxy: sign-up by e-mail code
// (getVerification → verify → signUp → getUserInfo), anonymous sign-in upgraded by sign-up,
// and the refusals: a SIGN_IN code, closed sign-up, a taken username, a weak password, a burst.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudbaseOAuth } from '@cloudbase/oauth';
import { adminPost, dropSchema, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { memoryStorage, startRecordingProxy, type RecordingProxy, rejection } from '../helpers/cloudbase.js';
import { FakeClock } from '../helpers/clock.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';

const GOOD = 'vq7-Rn2;xe-lamp';
/** Requests per minute from one IP (every SDK request comes from the proxy's 127.0.0.1). */
const IP_LIMIT = 12;

describe('@cloudbase/oauth 3.3.3: creating accounts against Signet (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let hook: CodeHook;
  let proxy: RecordingProxy;
  const clock = FakeClock.midMinute();

  const browser = (clientId = 'web') => {
    const storage = memoryStorage();
    const sdk = new CloudbaseOAuth({ apiOrigin: proxy.url, clientId, env: 'acme', storage });
    return { sdk, storage };
  };
  /** The SDK's code flow for sign-up: send (usage as given), read the code from the webhook, verify. */
  const verified = async (sdk: CloudbaseOAuth, email: string, usage: string) => {
    const v = await sdk.authApi.getVerification({ email, usage });
    const { verification_token } = await sdk.authApi.verify({
      verification_id: v.verification_id!,
      verification_code: hook.codeFor(email),
    });
    return verification_token!;
  };

  beforeAll(async () => {
    hook = await startCodeHook();
    s = await startTestSignet({
      backend: 'postgres',
      clock,
      env: { ...hook.env(), SIGNET_CODE_RESEND_SECONDS: '0', SIGNET_RATE_LIMIT_IP_PER_MINUTE: String(IP_LIMIT) },
    });
    await seed(s);
    await adminPost(s, '/admin/v1/tenants/acme', { policy: { sign_up_enabled: true, anonymous_sign_in: true } }, 'PATCH');
    await adminPost(s, '/admin/v1/tenants', { tenant_id: 'shut', name: 'Shut' });
    await adminPost(s, '/admin/v1/clients', { client_id: 'shut-web', tenant_id: 'shut', public: true });
    proxy = await startRecordingProxy(s.http);
  });
  // Each test in a fresh one-minute window: all SDK requests share the proxy's IP.
  beforeEach(() => clock.advance(60_000));
  afterAll(async () => {
    await proxy?.close();
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  it.each(['REGISTER', 'SIGN_UP'])('signs up by e-mail code (usage %s), then reads the user', async (usage) => {
    const { sdk, storage } = browser();
    const email = `${usage.toLowerCase()}@example.com`;
    const verification_token = await verified(sdk, email, usage);
    const mark = proxy.mark();
    const creds = await sdk.authApi.signUp({ email, verification_token, password: GOOD, name: 'New Person', locale: 'zh-CN' });
    const [sent] = proxy.since(mark);
    expect(`${sent.method} ${sent.path}`).toBe('POST /auth/v1/signup');
    expect(sent.query.client_id).toBe('web');
    expect(creds).toMatchObject({ token_type: 'Bearer', sub: expect.any(String) });
    expect(JSON.parse(storage.map.get('credentials_web')!).refresh_token).toBe(creds.refresh_token);
    const me = await sdk.authApi.getUserInfo();
    expect(me).toMatchObject({
      sub: creds.sub,
      email,
      email_verified: true,
      name: 'New Person',
      locale: 'zh-CN',
      is_anonymous: false,
      has_password: true,
    });
  });

  it('signs in anonymously, then sign-up upgrades that user in place (same sub)', async () => {
    const { sdk } = browser();
    const anon = await sdk.authApi.signInAnonymously();
    expect(await sdk.authApi.getUserInfo()).toMatchObject({ sub: anon.sub, is_anonymous: true });
    const verification_token = await verified(sdk, 'was-anon@example.com', 'SIGN_UP');
    const creds = await sdk.authApi.signUp({ email: 'was-anon@example.com', verification_token, anonymous_token: anon.access_token! });
    expect(creds.sub).toBe(anon.sub);
    expect(await sdk.authApi.getUserInfo()).toMatchObject({
      sub: anon.sub,
      email: 'was-anon@example.com',
      is_anonymous: false,
      has_password: false,
    });
  });

  it('refuses a SIGN_IN code for sign-up', async () => {
    const { sdk } = browser();
    const verification_token = await verified(sdk, 'alice@example.com', 'SIGN_IN');
    const err = await rejection(sdk.authApi.signUp({ email: 'alice@example.com', verification_token, password: GOOD }));
    expect(err).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses sign-up where it is closed', async () => {
    const { sdk } = browser('shut-web');
    const err = await rejection(sdk.authApi.signUp({ username: 'someone', password: GOOD }));
    expect(err).toMatchObject({ error: 'permission_denied', error_description: '当前不开放注册' });
  });

  it('refuses a taken username with already_exists', async () => {
    const { sdk } = browser();
    const err = await rejection(sdk.authApi.signUp({ username: 'alice', password: GOOD }));
    expect(err).toMatchObject({ error: 'already_exists' });
  });

  it('refuses a weak password naming the rule', async () => {
    const { sdk } = browser();
    expect(await rejection(sdk.authApi.signUp({ username: 'wendy', password: 'short' }))).toMatchObject({
      error: 'weak_password',
      error_description: '密码长度不能少于8位',
    });
    expect(await rejection(sdk.authApi.signUp({ username: 'wendy', password: 'password123' }))).toMatchObject({
      error: 'weak_password',
      error_description: '密码过于常见，请换一个',
    });
  });

  it('refuses a burst from one IP before any password is hashed', async () => {
    const hasher = s.running.deps.hasher;
    const hash = hasher.hash.bind(hasher);
    let hashed = 0;
    hasher.hash = (p: string) => (hashed++, hash(p));
    try {
      const { sdk } = browser();
      const outcomes: string[] = [];
      for (let i = 0; i < IP_LIMIT + 3; i++) {
        outcomes.push(
          await sdk.authApi.signUp({ username: `flood${i}`, password: GOOD }).then(
            () => 'ok',
            (e: any) => e.error,
          ),
        );
      }
      expect(outcomes).toEqual([...Array(IP_LIMIT).fill('ok'), ...Array(3).fill('resource_exhausted')]);
      expect(hashed).toBe(IP_LIMIT);
    } finally {
      hasher.hash = hash;
    }
  });

  it('checkUsername: the SDK sends GET with a body, which fetch refuses before anything is sent; checkIfUserExist works', async () => {
    const { sdk } = browser();
    await sdk.authApi.signInAnonymously();
    const mark = proxy.mark();
    const err = await rejection(sdk.authApi.checkUsername({ username: 'alice' } as never));
    // Node's fetch (undici) refuses it, as browsers' fetch does: nothing reaches Signet, so nothing
    // Signet could do would make this call work; a signed-in SDK is needed even to get this far.
    expect(err).toMatchObject({ error: 'unreachable', error_description: 'Request with GET/HEAD method cannot have body.' });
    expect(proxy.since(mark)).toEqual([]);
    // checkIfUserExist puts its fields in the query string, and works.
    expect(await sdk.authApi.checkIfUserExist({ username: 'alice' } as never)).toEqual({ exist: true });
  });
});
