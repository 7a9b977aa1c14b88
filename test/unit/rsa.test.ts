// RSA decryption with implicit rejection (src/domain/crypto/rsa.ts), checked against independent
// implementations: OpenSSL 4.0 (its implicit-rejection output, recorded in
// fixtures/rsa-implicit-rejection.json by fixtures/rsa-implicit-rejection.py through pyca/cryptography),
// node-forge (PKCS#1 v1.5 and OAEP-SHA256 encryption) and jsencrypt (what HZERO front ends and the
// CloudBase SDK use). Timing is never measured here; constant time is checked structurally: the
// unpadding reads the same bytes in the same order whatever they hold.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import {
  decryptFirstValid,
  rsaDecryptionKey,
  scanOaepDb,
  syntheticMessage,
  deriveKdk,
  unpadPkcs1v15,
  type RsaDecryptionKey,
} from '../../src/domain/crypto/rsa.js';
import { decodeText } from '../../src/domain/signin/encrypted-password.js';

const require = createRequire(import.meta.url);
// jsencrypt's ES module build does not load in Node (extensionless imports); its UMD build, whose
// export is the JSEncrypt class itself, does, and needs no window.
const JSEncrypt = require('jsencrypt') as new () => { setPublicKey(pem: string): void; encrypt(s: string): string | false };

interface Vectors {
  privateKeyPem: string;
  vectors: { name: string; ciphertext: string; plaintext: string }[];
  oaep: string;
}
const fixture: Vectors = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures/rsa-implicit-rejection.json'), 'utf8'));
const privateKey = createPrivateKey(fixture.privateKeyPem);
const publicKey = createPublicKey(privateKey);
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
const key = rsaDecryptionKey(privateKey);
const K = 256;

/** The same ciphertext blocks under each of several keys of one size. */
const decryptBlocks = (keys: RsaDecryptionKey[], blocks: Uint8Array[]) => decryptFirstValid(keys.map((k) => ({ key: k, blocks })));
const decrypt = (ct: Uint8Array, keys: RsaDecryptionKey[] = [key]) => decryptBlocks(keys, [ct]);

/** A ciphertext whose decryption is exactly `em` (a raw RSA public operation). */
const ciphertextOf = (em: Uint8Array, pub = publicKey) => publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, em);

/** EM = 00 02 PS 00 M with the given pieces. */
function em(parts: { first?: number; second?: number; ps?: Uint8Array; sep?: boolean; msg: Uint8Array }): Buffer {
  const head = Buffer.from([parts.first ?? 0, parts.second ?? 2]);
  const ps = parts.ps ?? Buffer.alloc(K - 3 - parts.msg.length, 0x5a);
  const out = Buffer.concat([head, ps, Buffer.from(parts.sep === false ? [] : [0]), parts.msg]);
  expect(out.length).toBe(K);
  return out;
}

const forgePublic = forge.pki.publicKeyFromPem(publicPem);
const forgeV15 = (text: string) => Buffer.from(forgePublic.encrypt(forge.util.encodeUtf8(text), 'RSAES-PKCS1-V1_5'), 'binary');
const forgeOaep = (text: string) =>
  Buffer.from(
    forgePublic.encrypt(forge.util.encodeUtf8(text), 'RSA-OAEP', { md: forge.md.sha256.create(), mgf1: { md: forge.md.sha256.create() } }),
    'binary',
  );

describe('PKCS#1 v1.5 with implicit rejection: OpenSSL 4.0 agrees byte for byte', () => {
  it.each(fixture.vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    expect(decrypt(Buffer.from(v.ciphertext, 'base64'))).toEqual(Buffer.from(v.plaintext, 'base64'));
  });

  it('decodes OpenSSL’s OAEP-SHA256', () => {
    expect(decrypt(Buffer.from(fixture.oaep, 'base64')).toString()).toBe('oaep message');
  });
});

describe('ciphertexts made by independent implementations', () => {
  it('decrypts node-forge PKCS#1 v1.5 and OAEP-SHA256, and jsencrypt', () => {
    for (const text of ['correct horse battery staple', 'pässwörd 密码', '', 'x'.repeat(K - 11)]) {
      expect(decrypt(forgeV15(text)).toString('utf8')).toBe(text);
    }
    for (const text of ['correct horse battery staple', '密码', 'x'.repeat(K - 66)]) {
      expect(decrypt(forgeOaep(text)).toString('utf8')).toBe(text);
    }
    const js = new JSEncrypt();
    js.setPublicKey(publicPem);
    for (const text of ['correct horse battery staple', 'pässwörd 密码']) {
      const b64 = js.encrypt(text);
      expect(typeof b64).toBe('string');
      expect(decrypt(Buffer.from(b64 as string, 'base64')).toString('utf8')).toBe(text);
    }
  });

  it('reads jsencrypt’s per-code-unit encoding of characters outside the BMP (CESU-8)', () => {
    const js = new JSEncrypt();
    js.setPublicKey(publicPem);
    const text = 'pw 🔑 ok 😀';
    const bytes = decrypt(Buffer.from(js.encrypt(text) as string, 'base64'));
    expect(bytes.toString('utf8')).not.toBe(text); // two 3-byte surrogates per emoji, not UTF-8
    expect(decodeText(bytes)).toBe(text);
    expect(decodeText(Buffer.from(text))).toBe(text); // real UTF-8 passes unchanged
  });
});

describe('implicit rejection', () => {
  const message = Buffer.from('{"username":"alice","password":"s3cret"}');
  const good = forgeV15(message.toString());

  const tampered: [string, Buffer][] = [
    ['first byte 01', ciphertextOf(em({ first: 1, msg: message }))],
    ['second byte 01', ciphertextOf(em({ second: 1, msg: message }))],
    ['second byte 00', ciphertextOf(em({ second: 0, msg: message }))],
    ['no zero separator', ciphertextOf(Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(K - 2, 0x5a)]))],
    ['padding of 7 bytes', ciphertextOf(em({ ps: Buffer.alloc(7, 0x5a), msg: Buffer.alloc(K - 3 - 7, 0x41) }))],
    [
      'zero inside the padding',
      ciphertextOf(
        em({ ps: Buffer.concat([Buffer.alloc(5, 0x5a), Buffer.from([0]), Buffer.alloc(K - 3 - 6 - message.length, 0x5a)]), msg: message }),
      ),
    ],
    ...[0, 1, 2, 64, 128, 254, 255].map((i): [string, Buffer] => {
      const c = Buffer.from(good);
      c[i] ^= 0x80;
      return [`ciphertext byte ${i} flipped`, c];
    }),
    ['all zero', Buffer.alloc(K)],
    ['not below the modulus', Buffer.alloc(K, 0xff)],
  ];

  it('decrypts the untampered ciphertext, and a padding of exactly 8 bytes', () => {
    expect(decrypt(good)).toEqual(message);
    const eight = Buffer.alloc(K - 3 - 8, 0x41);
    expect(decrypt(ciphertextOf(em({ ps: Buffer.alloc(8, 0x5a), msg: eight })))).toEqual(eight);
  });

  it.each(tampered)('%s: a deterministic pseudo-random message, not an error', (_name, ct) => {
    const out = decrypt(ct);
    expect(out).not.toEqual(message);
    expect(out.length).toBeLessThanOrEqual(K - 11);
    expect(decrypt(ct)).toEqual(out); // stable for the same ciphertext
    // It is the synthetic message the construction defines for this ciphertext.
    const { synthetic, start } = syntheticMessage(deriveKdk(key, ct), K);
    expect(out).toEqual(synthetic.subarray(start));
  });

  it('gives different ciphertexts different synthetic messages, of spread lengths', () => {
    const outs = tampered.map(([, ct]) => decrypt(ct).toString('hex'));
    expect(new Set(outs).size).toBe(outs.length);
    const lengths = Array.from({ length: 64 }, () => decrypt(randomBytes(K).fill(0, 0, 1)).length);
    expect(new Set(lengths).size).toBeGreaterThan(32);
  });

  it('ties the synthetic message to the key: another key answers the same ciphertext differently', () => {
    const other = rsaDecryptionKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const [, ct] = tampered[0];
    expect(decrypt(ct, [other])).not.toEqual(decrypt(ct));
  });
});

describe('constant time, structurally', () => {
  /** Wraps a byte array so that every index read is recorded (a Proxy sees each `a[i]`). */
  function traced(bytes: Uint8Array, log: string[], name: string): Uint8Array {
    return new Proxy(bytes, {
      get(target, prop) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) log.push(`${name}[${prop}]`);
        else if (prop === 'length') log.push(`${name}.length`);
        return Reflect.get(target, prop, target);
      },
      set(target, prop, value) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) log.push(`${name}[${prop}]=`);
        return Reflect.set(target, prop, value);
      },
    });
  }

  function unpadTrace(block: Uint8Array): { log: string[]; good: number } {
    const log: string[] = [];
    const synthetic = randomBytes(K);
    const r = unpadPkcs1v15(traced(block, log, 'em'), traced(synthetic, log, 'synthetic'), 100, traced(new Uint8Array(K), log, 'out'));
    return { log, good: r.good };
  }

  it('PKCS#1 v1.5 unpadding reads and writes the same bytes in the same order for valid and invalid blocks', () => {
    const msg = Buffer.from('hello');
    const blocks = [
      em({ msg }),
      em({ first: 1, msg }),
      em({ second: 1, msg }),
      Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(K - 2, 0x5a)]),
      em({ ps: Buffer.alloc(7, 0x5a), msg: Buffer.alloc(K - 3 - 7, 0x41) }),
      em({ ps: Buffer.alloc(K - 3, 0x5a), msg: Buffer.alloc(0) }),
      Buffer.alloc(K),
      randomBytes(K),
    ];
    const traces = blocks.map(unpadTrace);
    expect(traces.map((t) => t.good)).toEqual([1, 0, 0, 0, 0, 1, 0, 0]);
    for (const t of traces) expect(t.log).toEqual(traces[0].log);
    // Every byte of both inputs is read, every output byte written.
    expect(traces[0].log.filter((e) => e.startsWith('synthetic['))).toHaveLength(K);
    expect(traces[0].log.filter((e) => e.startsWith('out[') && e.endsWith('='))).toHaveLength(K);
  });

  it('OAEP data-block check reads the same bytes in the same order whatever it holds', () => {
    const lHash = forge.md.sha256.create().digest().getBytes();
    const db = (body: number[]) => Buffer.concat([Buffer.from(lHash, 'binary'), Buffer.from(body)]);
    const n = K - 33;
    const valid = db([...Array(n - 32 - 6).fill(0), 1, 1, 2, 3, 4, 5]);
    const blocks = [
      valid,
      db([...Array(n - 32 - 6).fill(0), 2, 1, 2, 3, 4, 5]),
      db(Array(n - 32).fill(0)),
      Buffer.concat([Buffer.alloc(32, 1), valid.subarray(32)]),
      randomBytes(n),
    ];
    const traces = blocks.map((b) => {
      const log: string[] = [];
      const r = scanOaepDb(traced(b, log, 'db'));
      return { log, good: r.good, start: r.start };
    });
    expect(traces.map((t) => t.good)).toEqual([1, 0, 0, 0, 0]);
    expect(traces[0].start).toBe(n - 5);
    for (const t of traces) expect(t.log).toEqual(traces[0].log);
  });
});

describe('several keys (a rotation’s grace period)', () => {
  const other = rsaDecryptionKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  const otherPublic = createPublicKey(other.key);

  it('finds the key a ciphertext was made with, in any order', () => {
    const text = Buffer.from('made with the old key');
    const ct = publicEncrypt({ key: otherPublic, padding: constants.RSA_PKCS1_PADDING }, text);
    expect(decryptBlocks([key, other], [ct])).toEqual(text);
    expect(decryptBlocks([other, key], [ct])).toEqual(text);
  });

  it('answers a ciphertext valid under no key with the first key’s synthetic message', () => {
    const ct = ciphertextOf(em({ first: 1, msg: Buffer.from('x') }));
    expect(decryptBlocks([key, other], [ct])).toEqual(decryptBlocks([key], [ct]));
  });

  it('decrypts several blocks and joins them (CloudBase’s chunked params)', () => {
    const parts = ['{"username":"alice",', '"password":"pw"}'];
    const blocks = parts.map((p) => forgeV15(p));
    expect(decryptBlocks([other, key], blocks).toString()).toBe(parts.join(''));
  });
});
