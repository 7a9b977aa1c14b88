// RSA-encrypted passwords end to end, over real REST and gRPC, on PostgreSQL + Redis and on the
// embedded default: the public key endpoints, CloudBase's encrypted sign-in made by the CloudBase
// SDK's own code, encrypted `password` fields per client setting (none / rsa / required), key
// rotation with its grace period, replay protection, and the property everything else rests on:
// a tampered ciphertext is answered exactly like a wrong password.
import { createHash, createPublicKey } from 'node:crypto';
import { createRequire } from 'node:module';
import forge from 'node-forge';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudbaseOAuth } from '@cloudbase/oauth';
import {
  BACKENDS,
  adminPost,
  call,
  dropSchema,
  get,
  grpcFailure,
  post,
  seed,
  startTestSignet,
  type TestSignet,
} from '../helpers/signet.js';
import { memoryStorage, startRecordingProxy } from '../helpers/cloudbase.js';
import type { TokenResponse } from '../../src/gen/signet/auth/v1/token.js';
import type { GetPublicKeyResponse } from '../../src/gen/signet/auth/v1/transport.js';

const require = createRequire(import.meta.url);
/** The CloudBase SDK's own encryption (jsencrypt's encryptLong), exactly as its signIn calls it. */
const { getEncryptInfo } = require('@cloudbase/oauth/dist/cjs/utils/encrypt.js') as {
  getEncryptInfo(o: { publicKey: string; payload: unknown }): string;
};
/** What HZERO front ends encrypt the password field with. */
const JSEncrypt = require('jsencrypt') as new () => { setPublicKey(pem: string): void; encrypt(s: string): string | false };

const jsencrypt = (pem: string, text: string): string => {
  const js = new JSEncrypt();
  js.setPublicKey(pem);
  const out = js.encrypt(text);
  if (typeof out !== 'string') throw new Error('jsencrypt failed');
  return out;
};
const oaep = (pem: string, text: string): string =>
  Buffer.from(
    forge.pki.publicKeyFromPem(pem).encrypt(forge.util.encodeUtf8(text), 'RSA-OAEP', {
      md: forge.md.sha256.create(),
      mgf1: { md: forge.md.sha256.create() },
    }),
    'binary',
  ).toString('base64');
/**
 * getEncryptInfo, again until no block lost a leading zero byte (jsencrypt drops them: one block
 * in 256), for tests that tamper with given byte positions. Short blocks are tested on their own.
 */
const fullBlocks = (publicKey: string, payload: unknown): string => {
  for (;;) {
    const out = getEncryptInfo({ publicKey, payload });
    if (Buffer.from(out, 'base64').length % 256 === 0) return out;
  }
};
/** Flips one bit of the ciphertext's byte `at` (default: inside the first block). */
const tamper = (b64: string, at = 100): string => {
  const b = Buffer.from(b64, 'base64');
  b[at] ^= 0x04;
  return b.toString('base64');
};

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
const LONG_PASSWORD = 'long passphrase, '.repeat(18); // the JSON is longer than k-11: the SDK chunks it

describe.each(BACKENDS)('encrypted passwords on %s', (backend) => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  let key: GetPublicKeyResponse;

  const user = async (username: string, password = fx.password) => {
    // The long passphrase is past the default policy's 128 characters: the operator overrides it.
    const r = await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username, password, bypass_password_policy: true });
    expect(r.status).toBe(200);
    return r.body.user_id as string;
  };
  const client = async (client_id: string, extra: Record<string, unknown>) => {
    const r = await adminPost(s, '/admin/v1/clients', {
      client_id,
      tenant_id: 'acme',
      public: true,
      grant_types: ['password', 'refresh_token'],
      scopes: ['openid', 'user'],
      ...extra,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.client;
  };
  const signin = (clientId: string, body: Record<string, unknown>) =>
    post(s.http, `/auth/v1/signin?client_id=${clientId}`, body, { 'accept-language': 'en' });
  const passwordGrant = (clientId: string, username: string, password: string) =>
    post(s.http, '/auth/v1/token', { grant_type: 'password', client_id: clientId, username, password }, { 'accept-language': 'en' });
  const encryptedSignin = (params: string, thumbprint = key.public_key_thumbprint, clientId = 'web') =>
    post(
      s.http,
      `/auth/v2/signin/username?client_id=${clientId}`,
      { params, public_key_thumbprint: thumbprint },
      {
        'accept-language': 'en',
        'x-device-id': 'd'.repeat(32),
      },
    );

  beforeAll(async () => {
    // Per-IP failure thresholds off: this file fails many sign-ins from one address on purpose.
    s = await startTestSignet({ backend, env: { SIGNET_IP_FAILURES_CAPTCHA: '0', SIGNET_IP_FAILURES_BLOCK: '0' } });
    fx = await seed(s);
    key = (await get(s.http, '/auth/v1/public-key')).body;
    await client('enc-required', { password_encryption: 'required' });
    await client('enc-rsa', { password_encryption: 'rsa' });
    await client('enc-replay', { password_encryption: 'rsa', reject_replayed_passwords: true });
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('publishes the transport key on both bindings and over gRPC: a 2048-bit RSA SPKI PEM and its thumbprint', async () => {
    const viaGet = await get(s.http, '/auth/v1/public-key');
    const viaSdkPath = await post(s.http, '/auth/v2/signin/publichkey', {});
    expect(viaGet.status).toBe(200);
    expect(viaSdkPath.status).toBe(200);
    expect(Object.keys(viaGet.body).sort()).toEqual(['public_key', 'public_key_thumbprint']);
    expect(viaSdkPath.body).toEqual(viaGet.body);
    expect(await call<object, GetPublicKeyResponse>(s.grpc, 'getPublicKey', {})).toEqual(viaGet.body);

    expect(viaGet.body.public_key).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    const pub = createPublicKey(viaGet.body.public_key);
    expect(pub.asymmetricKeyType).toBe('rsa');
    expect(pub.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const der = pub.export({ type: 'spki', format: 'der' });
    expect(viaGet.body.public_key_thumbprint).toBe(createHash('sha256').update(der).digest('base64url'));

    const listed = await fetch(`${s.admin}/admin/v1/transport-keys`, { headers: { authorization: 'Bearer test-admin-token-0123456789' } });
    expect((await listed.json()).keys).toEqual([
      { thumbprint: key.public_key_thumbprint, bits: 2048, status: 'active', created_at: expect.any(String) },
    ]);
  });

  it('signs in through the CloudBase SDK’s own encrypted sign-in (v2, isEncrypt), chunked for a long password', async () => {
    const id = await user('longpw', LONG_PASSWORD);
    const proxy = await startRecordingProxy(s.http);
    try {
      const sdk = new CloudbaseOAuth({ apiOrigin: proxy.url, clientId: 'web', env: 'acme', storage: memoryStorage() });
      const credentials = await sdk.authApi.signIn({ username: 'longpw', password: LONG_PASSWORD, version: 'v2', isEncrypt: true });
      expect(credentials).toMatchObject({ sub: id, token_type: 'Bearer' });
      const [pk, signIn] = proxy.exchanges.filter((e) => e.path.startsWith('/auth/v2/'));
      expect([pk.method, pk.path, pk.status]).toEqual(['POST', '/auth/v2/signin/publichkey', 200]);
      expect([signIn.method, signIn.path, signIn.status]).toEqual(['POST', '/auth/v2/signin/username', 200]);
      expect(signIn.query).toMatchObject({ client_id: 'web' });
      const body = signIn.json as { params: string; public_key_thumbprint: string };
      expect(Object.keys(body).sort()).toEqual(['params', 'public_key_thumbprint']);
      expect(body.public_key_thumbprint).toBe(key.public_key_thumbprint);
      // JSON of more than 245 characters: 117-character chunks, one 256-byte block each (less a
      // byte now and then: jsencrypt drops a block's leading zero byte, and Signet copes).
      expect(Math.ceil(Buffer.from(body.params, 'base64').length / 256)).toBe(3);
      expect(Object.keys(signIn.response as object).sort()).toEqual(TOKEN_KEYS);
    } finally {
      await proxy.close();
    }
  });

  it('signs in with params made by the SDK’s encryption, one block or several, over REST and gRPC', async () => {
    const short = getEncryptInfo({ publicKey: key.public_key, payload: { username: 'alice', password: fx.password } });
    expect(Buffer.from(short, 'base64').length).toBeGreaterThanOrEqual(254);
    const r = await encryptedSignin(short);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(TOKEN_KEYS);
    expect(r.body).toMatchObject({ sub: fx.userId, token_type: 'Bearer', scope: 'openid user', groups: ['admins'] });
    expect(decodeJwt(r.body.id_token).amr).toEqual(['pwd']);

    const long = getEncryptInfo({ publicKey: key.public_key, payload: { username: 'longpw', password: LONG_PASSWORD } });
    const g = await call<object, TokenResponse>(s.grpc, 'signInWithEncryptedParams', {
      client_id: 'web',
      params: long,
      public_key_thumbprint: key.public_key_thumbprint,
    });
    expect(g.refresh_token).not.toBe('');
    // An e-mail address as the identifier, OAEP-SHA256 instead of PKCS#1 v1.5.
    const mail = oaep(key.public_key, JSON.stringify({ email: 'alice@example.com', password: fx.password }));
    expect((await encryptedSignin(mail)).body.sub).toBe(fx.userId);
  });

  it('answers a tampered ciphertext exactly like a wrong password: same status, same body, same count', async () => {
    await user('bob');
    const wrong = getEncryptInfo({ publicKey: key.public_key, payload: { username: 'bob', password: 'not the password' } });
    const good = fullBlocks(key.public_key, { username: 'bob', password: fx.password });
    const tampered = tamper(good);

    const w1 = await encryptedSignin(wrong);
    const t1 = await encryptedSignin(tampered);
    expect(w1.status).toBe(401);
    expect(t1.status).toBe(w1.status);
    expect(t1.body).toEqual(w1.body);
    expect(w1.body).toMatchObject({
      error: 'invalid_password',
      error_code: 16,
      error_description: 'Account or password is wrong, 4 attempts left.',
    });
    expect(w1.body.details[0]).toMatchObject({ reason: 'invalid_password', limit_remaining: 4 });
    // Again: the same tampered ciphertext counts down like the same account's next wrong password.
    const w2 = await encryptedSignin(wrong);
    const t2 = await encryptedSignin(tampered);
    expect(w2.body.details[0].limit_remaining).toBe(3);
    expect(t2.body).toEqual(w2.body);
    // Field by field, whatever was tampered: every block, the padding bytes at the front, the end.
    const long = fullBlocks(key.public_key, { username: 'longpw', password: LONG_PASSWORD });
    for (const variant of [tamper(long, 1), tamper(long, 300), tamper(long, 767), tamper(good, 0), tamper(good, 255)]) {
      const t = await encryptedSignin(variant);
      expect({ status: t.status, body: t.body }).toEqual({ status: w1.status, body: w1.body });
    }
    // Over gRPC too, against a fresh account's first wrong password (the request id is not part of the answer).
    await user('bob2');
    const grpcTry = (params: string) =>
      grpcFailure(
        call(
          s.grpc,
          'signInWithEncryptedParams',
          {
            client_id: 'web',
            params,
            public_key_thumbprint: key.public_key_thumbprint,
          },
          { 'accept-language': 'en' },
        ),
      );
    const gw = await grpcTry(getEncryptInfo({ publicKey: key.public_key, payload: { username: 'bob2', password: 'nope' } }));
    const gt = await grpcTry(tamper(good, 7));
    expect(gw).toMatchObject({ code: 16, reason: 'invalid_password', metadata: { limit_remaining: '4' } });
    expect(gt).toEqual(gw);
  });

  it('refuses with invalid_argument only what needs no key to judge: not base64, wrong length, unknown key', async () => {
    const good = getEncryptInfo({ publicKey: key.public_key, payload: { username: 'alice', password: fx.password } });
    const cases: [string, string, string][] = [
      ['not base64!', key.public_key_thumbprint, 'params'],
      [Buffer.alloc(200).toString('base64'), key.public_key_thumbprint, 'params'],
      [Buffer.concat([Buffer.from(good, 'base64'), Buffer.alloc(10)]).toString('base64'), key.public_key_thumbprint, 'params'],
      [good, 'no-such-key', 'public_key_thumbprint'],
    ];
    for (const [params, thumbprint, field] of cases) {
      const r = await encryptedSignin(params, thumbprint);
      expect(r.status, field).toBe(400);
      expect(r.body.error).toBe('invalid_argument');
      expect(r.body.details[1].field_violations[0].field).toBe(field);
    }
  });

  describe('an encrypted password field, per client password_encryption', () => {
    it('required: plaintext is invalid_argument (hoth.warn.decodePasswordError); ciphertexts sign in', async () => {
      for (const r of [
        await signin('enc-required', { username: 'alice', password: fx.password }),
        await passwordGrant('enc-required', 'alice', fx.password),
      ]) {
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ error: 'invalid_argument', error_description: 'The password could not be decoded.' });
        expect(r.body.details[0].metadata).toEqual({ hzero_key: 'hoth.warn.decodePasswordError' });
        expect(r.body.details[1].field_violations[0].field).toBe('password');
      }
      const zh = await post(s.http, '/auth/v1/signin?client_id=enc-required', { username: 'alice', password: 'x' });
      expect(zh.body.error_description).toBe('解码密码错误');
      const g = await grpcFailure(call(s.grpc, 'signIn', { client_id: 'enc-required', username: 'alice', password: fx.password }));
      expect([g.code, g.reason, g.metadata.hzero_key]).toEqual([3, 'invalid_argument', 'hoth.warn.decodePasswordError']);

      expect((await signin('enc-required', { username: 'alice', password: jsencrypt(key.public_key, fx.password) })).body.sub).toBe(
        fx.userId,
      );
      expect((await passwordGrant('enc-required', 'alice', jsencrypt(key.public_key, fx.password))).body.sub).toBe(fx.userId);
      expect((await signin('enc-required', { username: 'alice', password: oaep(key.public_key, fx.password) })).body.sub).toBe(fx.userId);
      const viaGrpc = await call<object, TokenResponse>(s.grpc, 'signIn', {
        client_id: 'enc-required',
        username: 'alice',
        password: jsencrypt(key.public_key, fx.password),
      });
      expect(viaGrpc.sub).toBe(fx.userId);
    });

    it('required: a tampered ciphertext is a wrong password, counted like one', async () => {
      await user('carol');
      await user('frank');
      const wrong = await signin('enc-required', { username: 'carol', password: jsencrypt(key.public_key, 'wrong') });
      const tampered = await signin('enc-required', { username: 'frank', password: tamper(jsencrypt(key.public_key, fx.password), 50) });
      expect(wrong.status).toBe(401);
      expect(wrong.body.details[0]).toMatchObject({ reason: 'invalid_password', limit_remaining: 4 });
      expect({ status: tampered.status, body: tampered.body }).toEqual({ status: wrong.status, body: wrong.body });
      // The same account: the count goes on.
      const again = await signin('enc-required', { username: 'carol', password: tamper(jsencrypt(key.public_key, fx.password), 200) });
      expect(again.body.details[0]).toMatchObject({ reason: 'invalid_password', limit_remaining: 3 });
    });

    it('rsa: plaintext and ciphertext both sign in; a Token grant too', async () => {
      expect((await signin('enc-rsa', { username: 'alice', password: fx.password })).status).toBe(200);
      expect((await signin('enc-rsa', { username: 'alice', password: jsencrypt(key.public_key, fx.password) })).status).toBe(200);
      expect((await passwordGrant('enc-rsa', 'alice', jsencrypt(key.public_key, fx.password))).status).toBe(200);
      expect((await passwordGrant('enc-rsa', 'alice', fx.password)).status).toBe(200);
    });

    it('none: a ciphertext is a password like any other, not decrypted', async () => {
      await user('dave');
      const r = await signin('web', { username: 'dave', password: jsencrypt(key.public_key, fx.password) });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_password');
      // A user whose password happens to look like a ciphertext signs in with it, as typed.
      const odd = jsencrypt(key.public_key, 'anything');
      await user('erin', odd);
      expect((await signin('web', { username: 'erin', password: odd })).status).toBe(200);
    });

    it('shows the setting through the admin API and changes it there', async () => {
      const got = await fetch(`${s.admin}/admin/v1/clients/enc-replay`, {
        headers: { authorization: 'Bearer test-admin-token-0123456789' },
      });
      expect(await got.json()).toMatchObject({ password_encryption: 'rsa', reject_replayed_passwords: true });
      const bad = await adminPost(s, '/admin/v1/clients', {
        client_id: 'bad',
        tenant_id: 'acme',
        public: true,
        password_encryption: 'aes',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.details[1].field_violations[0].field).toBe('password_encryption');
      await client('enc-switch', {});
      const up = await adminPost(s, '/admin/v1/clients/enc-switch', { password_encryption: 'required' }, 'PATCH');
      expect(up.body).toMatchObject({ password_encryption: 'required', reject_replayed_passwords: false });
      expect((await signin('enc-switch', { username: 'alice', password: fx.password })).status).toBe(400);
    });
  });

  it('refuses a replayed ciphertext when the client asks for it, in both shapes', async () => {
    const password = jsencrypt(key.public_key, fx.password);
    expect((await signin('enc-replay', { username: 'alice', password })).status).toBe(200);
    const again = await signin('enc-replay', { username: 'alice', password });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({
      error: 'invalid_argument',
      error_description: 'This encrypted password was used before; encrypt it again.',
    });
    expect(again.body.details[1].field_violations[0].field).toBe('password');
    // A fresh encryption of the same password is fine; plaintext is not subject to it.
    expect((await signin('enc-replay', { username: 'alice', password: jsencrypt(key.public_key, fx.password) })).status).toBe(200);
    expect((await signin('enc-replay', { username: 'alice', password: fx.password })).status).toBe(200);
    expect((await signin('enc-replay', { username: 'alice', password: fx.password })).status).toBe(200);

    const params = getEncryptInfo({ publicKey: key.public_key, payload: { username: 'alice', password: fx.password } });
    expect((await encryptedSignin(params, key.public_key_thumbprint, 'enc-replay')).status).toBe(200);
    const replayed = await encryptedSignin(params, key.public_key_thumbprint, 'enc-replay');
    expect(replayed.status).toBe(400);
    expect(replayed.body.details[1].field_violations[0].field).toBe('params');
    // Clients without the setting accept the same ciphertext again.
    expect((await encryptedSignin(params)).status).toBe(200);
    expect((await encryptedSignin(params)).status).toBe(200);
  });

  it('rotates the transport key: the new one is published, the previous one decrypts through its grace period', async () => {
    const oldParams = getEncryptInfo({ publicKey: key.public_key, payload: { username: 'alice', password: fx.password } });
    const oldPassword = jsencrypt(key.public_key, fx.password);
    const rotated = await adminPost(s, '/admin/v1/transport-keys:rotate', {});
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ bits: 2048, status: 'active' });
    expect(rotated.body.thumbprint).not.toBe(key.public_key_thumbprint);

    const now = (await post(s.http, '/auth/v2/signin/publichkey', {})).body as GetPublicKeyResponse;
    expect(now.public_key_thumbprint).toBe(rotated.body.thumbprint);
    expect(now.public_key).not.toBe(key.public_key);

    const listed = await fetch(`${s.admin}/admin/v1/transport-keys`, { headers: { authorization: 'Bearer test-admin-token-0123456789' } });
    const keys = (await listed.json()).keys as { thumbprint: string; status: string; retire_at?: string }[];
    expect(keys.map((k) => [k.thumbprint, k.status])).toEqual([
      [key.public_key_thumbprint, 'retired'],
      [now.public_key_thumbprint, 'active'],
    ]);
    const retireIn = Date.parse(keys[0].retire_at!) - Date.now();
    expect(retireIn).toBeGreaterThan(86_000_000);
    expect(retireIn).toBeLessThanOrEqual(86_400_000);

    // Made with the previous key: still signs in, by thumbprint and without one.
    expect((await encryptedSignin(oldParams, key.public_key_thumbprint)).status).toBe(200);
    expect((await signin('enc-required', { username: 'alice', password: oldPassword })).status).toBe(200);
    // And the new key works the same.
    const fresh = getEncryptInfo({ publicKey: now.public_key, payload: { username: 'alice', password: fx.password } });
    expect((await encryptedSignin(fresh, now.public_key_thumbprint)).status).toBe(200);
    expect((await signin('enc-required', { username: 'alice', password: jsencrypt(now.public_key, fx.password) })).status).toBe(200);
    // A ciphertext of the new key sent with the old thumbprint decrypts to nothing: a wrong password.
    const mixed = await encryptedSignin(fresh, key.public_key_thumbprint);
    expect(mixed.status).toBe(401);
    expect(mixed.body.error).toBe('invalid_password');
    key = now;
  });
});
