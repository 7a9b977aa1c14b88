// The transport key ring (rotation, grace period, races between instances) and the decision what
// an incoming password is (src/domain/signin/encrypted-password.ts), on the in-memory storage.
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeDeps } from '../helpers/fakes.js';
import { memoryStorage } from '../helpers/memory-storage.js';
import { TransportKeyRing, thumbprintOf } from '../../src/domain/keys/transport-keys.js';
import { systemClock } from '../../src/domain/clock.js';
import { FakeClock } from '../helpers/clock.js';
import { candidateSplits, obtainPassword, readEncryptedParams } from '../../src/domain/signin/encrypted-password.js';
import { isSignetError, SignetError } from '../../src/domain/errors.js';
import type { Client } from '../../src/domain/model.js';
import type { Deps } from '../../src/domain/deps.js';

const require = createRequire(import.meta.url);
const { getEncryptInfo } = require('@cloudbase/oauth/dist/cjs/utils/encrypt.js') as {
  getEncryptInfo(o: { publicKey: string; payload: unknown }): string;
};
const JSEncrypt = require('jsencrypt') as new () => { setPublicKey(pem: string): void; encrypt(s: string): string | false };
const jsencrypt = (pem: string, text: string) => {
  const js = new JSEncrypt();
  js.setPublicKey(pem);
  return js.encrypt(text) as string;
};

const KEK = Buffer.alloc(32, 5);

async function failure(p: Promise<unknown>): Promise<SignetError> {
  try {
    await p;
  } catch (e) {
    if (isSignetError(e)) return e;
    throw e;
  }
  throw new Error('expected a SignetError');
}

describe('TransportKeyRing', () => {
  it('creates one key on first start, publishes it and names it by its SPKI thumbprint', async () => {
    const storage = memoryStorage();
    const ring = new TransportKeyRing(storage.transportKeys, KEK, { bits: 2048, graceSeconds: 3600 }, systemClock);
    await ring.init();
    const current = await ring.current();
    expect(current.bits).toBe(2048);
    expect(current.thumbprint).toBe(thumbprintOf(createPublicKey(current.publicKeyPem)));
    const rows = await storage.transportKeys.listUsable(new Date());
    expect(rows).toHaveLength(1);
    // Sealed: the row holds no PEM private key.
    expect(rows[0].privateKeySealed).not.toContain('PRIVATE KEY');
    // A second instance on the same table uses the same key.
    const other = new TransportKeyRing(storage.transportKeys, KEK, { bits: 2048, graceSeconds: 3600 }, systemClock);
    await other.init();
    expect((await other.current()).thumbprint).toBe(current.thumbprint);
    // Another key-encryption key cannot open it.
    await expect(
      new TransportKeyRing(storage.transportKeys, Buffer.alloc(32, 6), { bits: 2048, graceSeconds: 3600 }, systemClock).init(),
    ).rejects.toThrow();
  });

  it('refuses keys under 2048 bits', () => {
    expect(() => new TransportKeyRing(memoryStorage().transportKeys, KEK, { bits: 1024, graceSeconds: 60 }, systemClock)).toThrow(/2048/);
  });

  it('survives instances racing on an empty table: each key decrypts, all publish the newest, a rotation tidies up', async () => {
    const storage = memoryStorage();
    const rings = [0, 1, 2].map(() => new TransportKeyRing(storage.transportKeys, KEK, { bits: 2048, graceSeconds: 3600 }, systemClock));
    // All three see an empty table, then each creates its key.
    await Promise.all(rings.map((r) => r.init()));
    const rows = await storage.transportKeys.listUsable(new Date());
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.every((k) => k.status === 'active')).toBe(true);
    // An instance that reads the table publishes the newest and decrypts with every one.
    const fresh = new TransportKeyRing(storage.transportKeys, KEK, { bits: 2048, graceSeconds: 3600 }, systemClock);
    await fresh.init();
    expect((await fresh.current()).thumbprint).toBe(rows.at(-1)!.thumbprint);
    expect(await fresh.decryptionKeys()).toHaveLength(rows.length);
    for (const r of rows) expect(await fresh.decryptionKeys(r.thumbprint)).toHaveLength(1);
    const made = await fresh.rotate();
    expect((await storage.transportKeys.listUsable(new Date())).filter((k) => k.status === 'active').map((k) => k.thumbprint)).toEqual([
      made.thumbprint,
    ]);
  });

  it('rotates: the new key is published, the old one decrypts until its grace period ends, then not at all', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const storage = memoryStorage();
    const ring = new TransportKeyRing(storage.transportKeys, KEK, { bits: 2048, graceSeconds: 600 }, { now: () => now.getTime() });
    await ring.init();
    const old = await ring.current();
    // Keys made in the same millisecond are listed by thumbprint, as PostgreSQL lists them.
    now = new Date(now.getTime() + 1);
    const rotated = await ring.rotate();
    expect((await ring.current()).thumbprint).toBe(rotated.thumbprint);
    expect((await ring.list()).map((k) => [k.thumbprint, k.status])).toEqual([
      [old.thumbprint, 'retired'],
      [rotated.thumbprint, 'active'],
    ]);
    expect(await ring.decryptionKeys(old.thumbprint)).toHaveLength(1);
    expect(await ring.decryptionKeys()).toHaveLength(2);

    now = new Date(now.getTime() + 601_000);
    expect(await ring.decryptionKeys(old.thumbprint)).toEqual([]);
    expect(await ring.decryptionKeys()).toHaveLength(1);
    expect((await ring.list()).map((k) => k.thumbprint)).toEqual([rotated.thumbprint]);
  });

  it('picks up a key rotated on another instance when a request names it', async () => {
    const storage = memoryStorage();
    const clock = new FakeClock(Date.now());
    const a = new TransportKeyRing(storage.transportKeys, KEK, { bits: 2048, graceSeconds: 600 }, clock);
    const b = new TransportKeyRing(storage.transportKeys, KEK, { bits: 2048, graceSeconds: 600 }, clock);
    await a.init();
    await b.init();
    const made = await b.rotate();
    clock.advance(1_050); // unknown thumbprints re-read the table at most once a second
    expect(await a.decryptionKeys(made.thumbprint)).toHaveLength(1);
    expect(await a.decryptionKeys('nonsense')).toEqual([]);
  });
});

const checks = (deps: Deps) => deps.limiter.admit('', '');
/** A sign-in with a password field, as its endpoint runs it. */
const withPassword = <T>(deps: Deps, client: Client, password: string, signIn: (p: string) => Promise<T>) =>
  obtainPassword(deps, client, { kind: 'field', value: password }, checks(deps), (p) => signIn(p.password));
/** CloudBase's encrypted sign-in, as its endpoint runs it. */
const withEncryptedParams = <T>(
  deps: Deps,
  client: Client,
  params: string,
  thumbprint: string,
  signIn: (p: { username?: string }) => Promise<T>,
) =>
  obtainPassword(deps, client, { kind: 'params', params, thumbprint }, checks(deps), (p) => signIn({ username: p.identifier?.username }));
/** The password as the sign-in steps would receive it. */
const readPassword = (deps: Deps, client: Client, password: string) => withPassword(deps, client, password, async (p) => p);

describe('readPassword and readEncryptedParams', () => {
  let deps: Deps;
  let pem: string;
  const client = (over: Partial<Client> = {}) =>
    ({ id: 'c', passwordEncryption: 'none', rejectReplayedPasswords: false, ...over }) as Client;

  beforeAll(async () => {
    deps = await fakeDeps();
    await deps.transportKeys.init();
    pem = (await deps.transportKeys.current()).publicKeyPem;
  });

  it('none: returns the password as given, ciphertext or not', async () => {
    const ct = jsencrypt(pem, 'secret');
    expect(await readPassword(deps, client(), ct)).toBe(ct);
    expect(await readPassword(deps, client(), 'secret')).toBe('secret');
  });

  it('rsa: decrypts base64 of one key-sized block, leaves anything else as typed', async () => {
    const c = client({ passwordEncryption: 'rsa' });
    expect(await readPassword(deps, c, jsencrypt(pem, 'secret'))).toBe('secret');
    for (const plain of ['secret', 'abcd', 'correct horse battery staple', Buffer.alloc(100, 1).toString('base64')]) {
      expect(await readPassword(deps, c, plain)).toBe(plain);
    }
  });

  it('rsa and required: a block jsencrypt wrote without its leading zero byte still decrypts', async () => {
    const pub = createPublicKey(pem);
    let ct: Buffer;
    do ct = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, Buffer.from('secret'));
    while (ct[0] !== 0);
    const short = ct.subarray(1).toString('base64'); // 255 bytes, as jsencrypt's minimal hex gives it
    expect(await readPassword(deps, client({ passwordEncryption: 'required' }), short)).toBe('secret');
  }, 60_000);

  it('required: anything that is not one block of base64 is invalid_argument with the HZERO decodePasswordError entry', async () => {
    const c = client({ passwordEncryption: 'required' });
    for (const plain of ['secret', 'x', '!!!!', Buffer.alloc(100).toString('base64'), Buffer.alloc(512, 1).toString('base64')]) {
      const e = await failure(readPassword(deps, c, plain));
      expect(e.reason).toBe('invalid_argument');
      expect(e.details.message).toBe('invalid_argument.password_undecodable');
      expect(e.details.fieldViolations?.[0].field).toBe('password');
    }
    expect(await readPassword(deps, c, '')).toBe(''); // left to the sign-in: "password is required"
  });

  it('never fails on a ciphertext it cannot decrypt: a tampered one yields a stable wrong password', async () => {
    const c = client({ passwordEncryption: 'required' });
    const b = Buffer.from(jsencrypt(pem, 'secret'), 'base64');
    b[3] ^= 1;
    const tampered = b.toString('base64');
    const got = await readPassword(deps, c, tampered);
    expect(got).not.toBe('secret');
    expect(got).not.toBe('');
    expect(await readPassword(deps, c, tampered)).toBe(got);
  });

  it('refuses a replayed ciphertext for clients that ask, atomically', async () => {
    const c = client({ id: 'r', passwordEncryption: 'rsa', rejectReplayedPasswords: true });
    const ct = jsencrypt(pem, 'secret');
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => readPassword(deps, c, ct)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as SignetError);
    expect(refused).toHaveLength(9);
    for (const e of refused) expect([e.reason, e.details.message]).toEqual(['invalid_argument', 'invalid_argument.password_replayed']);
    // Without the setting, or for plaintext, nothing is remembered.
    expect(await readPassword(deps, client({ passwordEncryption: 'rsa' }), ct)).toBe('secret');
    expect(await readPassword(deps, c, 'plain')).toBe('plain');
    expect(await readPassword(deps, c, 'plain')).toBe('plain');
  });

  it('gives a ciphertext back when the sign-in was refused before comparing it (the SDK repeats it after a captcha)', async () => {
    const c = client({ id: 'rc', passwordEncryption: 'required', rejectReplayedPasswords: true });
    const ct = jsencrypt(pem, 'secret');
    for (const reason of ['captcha_required', 'captcha_invalid', 'resource_exhausted'] as const) {
      await expect(
        withPassword(deps, c, ct, async () => {
          throw new SignetError(reason, 'test');
        }),
      ).rejects.toMatchObject({ reason });
    }
    // Compared and wrong: used up.
    await expect(
      withPassword(deps, c, ct, async () => {
        throw new SignetError('invalid_password', 'test');
      }),
    ).rejects.toMatchObject({ reason: 'invalid_password' });
    expect((await failure(withPassword(deps, c, ct, async (p) => p))).details.message).toBe('invalid_argument.password_replayed');
    // Same for params; and a success uses it up too.
    const { thumbprint } = await deps.transportKeys.current();
    const params = getEncryptInfo({ publicKey: pem, payload: { username: 'alice', password: 'pw' } });
    await expect(
      withEncryptedParams(deps, c, params, thumbprint, async () => {
        throw new SignetError('captcha_required', 'test');
      }),
    ).rejects.toThrow();
    expect(await withEncryptedParams(deps, c, params, thumbprint, async (p) => p.username)).toBe('alice');
    expect((await failure(withEncryptedParams(deps, c, params, thumbprint, async (p) => p.username))).details.message).toBe(
      'invalid_argument.password_replayed',
    );
  });

  it('reads CloudBase params made by the SDK, one block or chunked', async () => {
    const { thumbprint } = await deps.transportKeys.current();
    const short = getEncryptInfo({ publicKey: pem, payload: { username: 'alice', password: 'pw' } });
    expect(await readEncryptedParams(deps, client(), short, thumbprint)).toMatchObject({
      username: 'alice',
      password: 'pw',
      undecodable: false,
    });
    const long = 'p'.repeat(400);
    const chunked = getEncryptInfo({ publicKey: pem, payload: { email: 'a@example.com', password: long } });
    expect(Math.ceil(Buffer.from(chunked, 'base64').length / 256)).toBe(4);
    expect(await readEncryptedParams(deps, client(), chunked, '')).toMatchObject({
      email: 'a@example.com',
      password: long,
      undecodable: false,
    });
  });

  it('copes with jsencrypt’s short blocks: a lone one is left-padded, in a concatenation every cut is tried', async () => {
    const { thumbprint } = await deps.transportKeys.current();
    const pub = createPublicKey(pem);
    const json = JSON.stringify({ username: 'alice', password: 'q'.repeat(300) });
    const chunks = json.match(/.{1,117}/g)!;
    const encrypt = (chunk: string) => publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(chunk));
    // A block whose ciphertext starts with a zero byte, written as jsencrypt writes it.
    const withLeadingZero = (chunk: string) => {
      for (;;) {
        const c = encrypt(chunk);
        if (c[0] === 0) return c.subarray(1);
      }
    };
    for (let short = 0; short < chunks.length; short++) {
      const blocks = chunks.map((c, i) => (i === short ? withLeadingZero(c) : encrypt(c)));
      const params = Buffer.concat(blocks);
      expect(params.length).toBe(chunks.length * 256 - 1);
      expect(await readEncryptedParams(deps, client(), params.toString('base64'), thumbprint)).toMatchObject({
        username: 'alice',
        password: 'q'.repeat(300),
        undecodable: false,
      });
    }
    // Replaying it with the zero byte put back (or taken away) is still a replay.
    const blocks = chunks.map((c, i) => (i === 1 ? withLeadingZero(c) : encrypt(c)));
    const stripped = Buffer.concat(blocks).toString('base64');
    const padded = Buffer.concat(blocks.map((b) => (b.length === 256 ? b : Buffer.concat([Buffer.alloc(1), b])))).toString('base64');
    const r = client({ id: 'rp', rejectReplayedPasswords: true });
    await readEncryptedParams(deps, r, stripped, thumbprint);
    expect((await failure(readEncryptedParams(deps, r, padded, thumbprint))).details.message).toBe('invalid_argument.password_replayed');
    // The cuts: one for whole blocks, one per block otherwise; a block at one place is one object.
    const ct = Buffer.alloc(3 * 256 - 1, 1);
    const splits = candidateSplits(ct, 256, 8)!;
    expect(splits.map((sp) => sp.map((b) => b.length))).toEqual([
      [256, 256, 256],
      [256, 256, 256],
      [256, 256, 256],
    ]);
    expect(splits[0][2]).toBe(splits[1][2]);
    expect(candidateSplits(Buffer.alloc(3 * 256 - 2), 256, 8)).toBeUndefined();
    expect(candidateSplits(Buffer.alloc(254), 256, 8)).toHaveLength(1);
    expect(candidateSplits(Buffer.alloc(253), 256, 8)).toBeUndefined();
  }, 60_000);

  it('turns params that hold no sign-in into a stand-in no account can match, the same for the same ciphertext', async () => {
    const { thumbprint } = await deps.transportKeys.current();
    const good = Buffer.from(getEncryptInfo({ publicKey: pem, payload: { username: 'alice', password: 'pw' } }), 'base64');
    const tampered = Buffer.from(good);
    tampered[10] ^= 1;
    const variants = [
      tampered.toString('base64'),
      getEncryptInfo({ publicKey: pem, payload: 'not json' }),
      getEncryptInfo({ publicKey: pem, payload: { username: 'alice' } }),
      getEncryptInfo({ publicKey: pem, payload: { username: 'alice', email: 'a@b.c', password: 'pw' } }),
      getEncryptInfo({ publicKey: pem, payload: [1, 2] }),
    ];
    for (const v of variants) {
      const r = await readEncryptedParams(deps, client(), v, thumbprint);
      expect(r.undecodable).toBe(true);
      expect(r.username).toMatch(/^#[0-9a-f]{24}$/);
      expect(r.password).not.toBe('');
      expect(await readEncryptedParams(deps, client(), v, thumbprint)).toEqual(r);
    }
  });

  it('refuses what needs no key to judge: not base64, a length that is no whole block, an unknown thumbprint', async () => {
    const { thumbprint } = await deps.transportKeys.current();
    const good = getEncryptInfo({ publicKey: pem, payload: { username: 'alice', password: 'pw' } });
    const cases: [string, string, string][] = [
      ['', thumbprint, 'params'],
      ['%%%', thumbprint, 'params'],
      [Buffer.alloc(300).toString('base64'), thumbprint, 'params'],
      [Buffer.alloc(256 * 9).toString('base64'), thumbprint, 'params'],
      [good, 'unknown', 'public_key_thumbprint'],
    ];
    for (const [params, tp, field] of cases) {
      const e = await failure(readEncryptedParams(deps, client(), params, tp));
      expect([e.reason, e.details.fieldViolations?.[0].field]).toEqual(['invalid_argument', field]);
    }
  });
});
