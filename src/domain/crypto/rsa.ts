// RSA decryption of passwords that clients encrypted with Signet's transport key: PKCS#1 v1.5
// (what jsencrypt, the CloudBase SDK and HZERO's front ends produce) and OAEP with SHA-256.
//
// WHY THIS FILE EXISTS. PKCS#1 v1.5 decryption is a padding oracle: if a server answers, or takes
// measurably longer, differently when the decrypted block is not `00 02 PS 00 M`, an attacker who
// captured one ciphertext can decrypt it with some 10^4..10^6 forged queries (Bleichenbacher 1998;
// ROBOT 2017; Marvin 2023 showed the timing of the *unpadding itself* is enough). Node 20 refuses
// RSA_PKCS1_PADDING for private decryption for exactly that reason (CVE-2023-46809). So Signet does
// the raw RSA operation (RSA_NO_PADDING; OpenSSL blinds it) and removes the padding here:
//
//  1. IMPLICIT REJECTION (draft-irtf-cfrg-rsa-guidance "Implicit Rejection for RSA PKCS#1 v1.5",
//     as implemented by OpenSSL 3.2 in rsa_pk1.c/rsa_ossl.c, reproduced byte for byte): a block
//     with bad padding does not fail. It decrypts to a synthetic message, a deterministic function
//     of a per-key secret and the ciphertext, of a pseudo-random length:
//        kdk       = HMAC-SHA256(key = SHA-256(d as k bytes), ciphertext as k bytes)
//        PRF(l, n) = HMAC-SHA256(kdk, BE16(i) || l || BE16(n)) for i = 0, 1, …, cut to n bits
//        lengths   = PRF("length", 2048): 128 BE16 candidates, masked to the bit width of k-10;
//                    the last candidate < k-10 is the length L (0 if none: p = 2^-128)
//        message   = the last L bytes of PRF("message", 8k)
//     The caller cannot tell it from a real message: the same ciphertext always yields the same
//     bytes, and the password it holds simply does not match (or the JSON does not parse). So a
//     malformed ciphertext takes the wrong-password path, lockout counting included, and the
//     answer carries no padding bit.
//  2. CONSTANT TIME. No branch, early exit or memory index depends on a decrypted byte: every byte
//     of every buffer is read, conditions are 0/1 integers turned into masks (0 or -1) and combined
//     with & | ^, selections are (a & m) | (b & ~m). Buffer.indexOf/equals/compare are not used on
//     secret data (they stop at the first difference). JavaScript gives no hard guarantee (the JIT
//     may do what it likes), but there is no secret-dependent control flow left for it to expose.
//
// OAEP-SHA256 is decoded in the same pass, also in constant time, from the same raw RSA output,
// and a valid OAEP block wins over everything else. No "try OAEP, then fall back to v1.5" with a
// throw in between: that would be two code paths, and the difference (an exception and a second
// decoding) would be an oracle for "is this a valid OAEP ciphertext". That bit would in fact be
// useless to an attacker — a forged or multiplied ciphertext (c·s^e) is OAEP-valid only with
// probability about 2^-256 (the label hash and the 0x01 separator must survive), so it only ever
// fires for ciphertexts someone made honestly from a known plaintext, and Manger's attack needs the
// finer "first byte is zero" signal that OpenSSL and this file never expose — but with both
// decodings always computed and the result chosen by mask there is not even that bit to argue
// about. The cost is two SHA-256-based MGF1 runs per block, nothing next to the RSA operation.
//
// Several keys (a rotation's grace period), and the several ways to cut a jsencrypt ciphertext
// whose blocks lost a leading zero byte, are handled the same way: every alternative is decrypted,
// and the first under which all blocks are valid is chosen by mask; if none is, the first
// alternative's output (synthetic for the bad blocks) is returned. The work is the same whatever
// the outcome.
import { constants, createHash, createHmac, privateDecrypt, type KeyObject } from 'node:crypto';

const HASH_LEN = 32;
/** SHA-256 of the empty OAEP label. */
const LHASH = createHash('sha256').digest();
/** OpenSSL's MAX_LEN_GEN_TRIES: candidate lengths drawn for the synthetic message. */
const LENGTH_CANDIDATES = 128;

/** A transport private key prepared for decryption. */
export interface RsaDecryptionKey {
  key: KeyObject;
  /** Modulus length in bytes: the size of every ciphertext block. */
  k: number;
  /** SHA-256 of the private exponent (k bytes, big-endian): the implicit-rejection secret. */
  dHash: Buffer;
}

export function rsaDecryptionKey(key: KeyObject): RsaDecryptionKey {
  if (key.asymmetricKeyType !== 'rsa' || key.type !== 'private') throw new Error('an RSA private key is required');
  const jwk = key.export({ format: 'jwk' });
  const n = Buffer.from(jwk.n!, 'base64url');
  const k = n[0] === 0 ? n.length - 1 : n.length;
  const d = Buffer.from(jwk.d!, 'base64url');
  const dPadded = Buffer.concat([Buffer.alloc(Math.max(0, k - d.length)), d]);
  return { key, k, dHash: createHash('sha256').update(dPadded).digest() };
}

// ---- constant-time primitives on small non-negative integers (bytes, indexes < 2^31)

/** 1 when x (0..255 or any int in [0, 2^31)) is zero, else 0. */
const isZero = (x: number): number => ((x - 1) >>> 31) & (~x >>> 31) & 1;
/** 1 when a === b. */
const eq = (a: number, b: number): number => isZero(a ^ b);
/** 1 when a < b (both in [0, 2^31)). */
const lt = (a: number, b: number): number => ((a - b) >>> 31) & 1;
/** 0 → 0, 1 → -1 (all bits set). */
const mask = (bit: number): number => -bit | 0;
const select = (bit: number, a: number, b: number): number => {
  const m = mask(bit);
  return (a & m) | (b & ~m);
};

/** The decoding of one block: the message is out[start..k). */
export interface DecodedBlock {
  out: Uint8Array;
  start: number;
  /** 1 when the block was a valid OAEP or v1.5 encryption, else 0 (and out holds the synthetic message). */
  good: number;
}

/** The implicit-rejection key: HMAC-SHA256 keyed with H(d) over the ciphertext (left-padded to k). */
export function deriveKdk(key: RsaDecryptionKey, ciphertext: Uint8Array): Buffer {
  const h = createHmac('sha256', key.dHash);
  if (ciphertext.length < key.k) h.update(Buffer.alloc(key.k - ciphertext.length));
  return h.update(ciphertext).digest();
}

/** OpenSSL's ossl_rsa_prf: HMAC-SHA256(kdk, BE16(i) || label || BE16(bits)), i = 0, 1, … */
export function prf(kdk: Uint8Array, label: string, bytes: number): Buffer {
  const bits = Buffer.from([((bytes * 8) >> 8) & 0xff, (bytes * 8) & 0xff]);
  const parts: Buffer[] = [];
  for (let i = 0, pos = 0; pos < bytes; i++, pos += HASH_LEN) {
    parts.push(
      createHmac('sha256', kdk)
        .update(Buffer.from([(i >> 8) & 0xff, i & 0xff]))
        .update(label)
        .update(bits)
        .digest(),
    );
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

/**
 * The synthetic message for a block of k bytes: returns the k-byte PRF("message") output and the
 * index where the message starts (k - L). Only public values (k) steer the loops.
 */
export function syntheticMessage(kdk: Uint8Array, k: number): { synthetic: Buffer; start: number } {
  const synthetic = prf(kdk, 'message', k);
  const candidates = prf(kdk, 'length', LENGTH_CANDIDATES * 2);
  const maxSepOffset = k - 2 - 8;
  let lenMask = maxSepOffset;
  lenMask |= lenMask >> 1;
  lenMask |= lenMask >> 2;
  lenMask |= lenMask >> 4;
  lenMask |= lenMask >> 8;
  let length = 0;
  for (let i = 0; i < candidates.length; i += 2) {
    const candidate = ((candidates[i] << 8) | candidates[i + 1]) & lenMask;
    length = select(lt(candidate, maxSepOffset), candidate, length);
  }
  return { synthetic, start: k - length };
}

/**
 * PKCS#1 v1.5 type 2 unpadding with implicit rejection (OpenSSL's
 * ossl_rsa_padding_check_PKCS1_type_2): `em` is the raw RSA output (k bytes), `synthetic` and
 * `syntheticStart` come from syntheticMessage(). Writes the chosen bytes into `out` (k bytes) and
 * returns where the message starts and whether the padding was good. Reads every byte of `em`
 * and `synthetic` exactly once in a fixed order, whatever they hold.
 */
export function unpadPkcs1v15(
  em: Uint8Array,
  synthetic: Uint8Array,
  syntheticStart: number,
  out: Uint8Array,
): { start: number; good: number } {
  const k = em.length;
  let good = isZero(em[0]) & eq(em[1], 2);
  let found = 0;
  let zeroIndex = 0;
  for (let i = 2; i < k; i++) {
    const z = isZero(em[i]);
    zeroIndex = select(~found & z & 1, i, zeroIndex);
    found |= z;
  }
  // At least 8 bytes of padding; zeroIndex stays 0 (and fails this) when there was no separator.
  good &= 1 ^ lt(zeroIndex, 2 + 8);
  const start = select(good, zeroIndex + 1, syntheticStart);
  for (let i = 0; i < k; i++) out[i] = select(good, em[i], synthetic[i]);
  return { start, good };
}

/** MGF1 with SHA-256 (RFC 8017 B.2.1). Hashing time depends only on the (public) lengths. */
function mgf1(seed: Uint8Array, length: number): Buffer {
  const parts: Buffer[] = [];
  for (let counter = 0, have = 0; have < length; counter++, have += HASH_LEN) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    parts.push(createHash('sha256').update(seed).update(c).digest());
  }
  return Buffer.concat(parts).subarray(0, length);
}

/**
 * Checks an unmasked OAEP data block DB = lHash' || 00…00 || 01 || M in constant time. Returns the
 * index in `db` where M starts and whether DB was well-formed (the caller adds the Y = 0 check).
 * Reads every byte of `db` exactly once in a fixed order.
 */
export function scanOaepDb(db: Uint8Array): { start: number; good: number } {
  let diff = 0;
  for (let i = 0; i < HASH_LEN; i++) diff |= db[i] ^ LHASH[i];
  let good = isZero(diff);
  let found = 0;
  let oneIndex = 0;
  let bad = 0;
  for (let i = HASH_LEN; i < db.length; i++) {
    const b = db[i];
    const one = eq(b, 1);
    const zero = isZero(b);
    oneIndex = select(~found & one & 1, i, oneIndex);
    // Before the separator only zeros may appear.
    bad |= ~found & ~zero & ~one & 1;
    found |= one;
  }
  good &= found & (1 ^ bad);
  return { start: oneIndex + 1, good };
}

/**
 * Decodes one raw RSA output block as OAEP-SHA256 and as PKCS#1 v1.5 (with implicit rejection)
 * and picks, by mask, OAEP if it is valid, else v1.5 (real or synthetic).
 */
export function decodeBlock(key: RsaDecryptionKey, em: Uint8Array, ciphertext: Uint8Array): DecodedBlock {
  const k = key.k;
  const { synthetic, start: synthStart } = syntheticMessage(deriveKdk(key, ciphertext), k);
  const v15 = new Uint8Array(k);
  const p = unpadPkcs1v15(em, synthetic, synthStart, v15);

  // OAEP: EM = Y || maskedSeed (32) || maskedDB (k - 33); the message sits at the end of DB, so
  // an OAEP result is a k-byte buffer whose last k - 33 bytes are DB.
  const maskedSeed = em.subarray(1, 1 + HASH_LEN);
  const maskedDb = em.subarray(1 + HASH_LEN);
  const seedMask = mgf1(maskedDb, HASH_LEN);
  const seed = new Uint8Array(HASH_LEN);
  for (let i = 0; i < HASH_LEN; i++) seed[i] = maskedSeed[i] ^ seedMask[i];
  const dbMask = mgf1(seed, maskedDb.length);
  const oaep = new Uint8Array(k);
  for (let i = 0; i < maskedDb.length; i++) oaep[1 + HASH_LEN + i] = maskedDb[i] ^ dbMask[i];
  const o = scanOaepDb(oaep.subarray(1 + HASH_LEN));
  const oaepGood = o.good & isZero(em[0]);

  const out = new Uint8Array(k);
  for (let i = 0; i < k; i++) out[i] = select(oaepGood, oaep[i], v15[i]);
  return {
    out,
    start: select(oaepGood, 1 + HASH_LEN + o.start, p.start),
    good: oaepGood | p.good,
  };
}

/**
 * The raw RSA operation c^d mod n (blinded by OpenSSL). A block that is not smaller than the
 * modulus cannot be decrypted at all; whether it is is a public fact (anyone can compare c with
 * n), so it may branch: it decodes as an all-zero block, i.e. to its synthetic message.
 */
function rawDecrypt(key: RsaDecryptionKey, block: Uint8Array): Uint8Array {
  try {
    return privateDecrypt({ key: key.key, padding: constants.RSA_NO_PADDING }, block);
  } catch {
    return new Uint8Array(key.k);
  }
}

/** One way to read a ciphertext: a key, and the ciphertext cut into blocks of that key's size. */
export interface Alternative {
  key: RsaDecryptionKey;
  /** Each exactly key.k bytes. A block object shared between alternatives is decrypted once. */
  blocks: Uint8Array[];
}

/**
 * Decrypts every alternative (all of one key size and block count) and returns the concatenated
 * plaintexts of the first alternative under which every block was valid, else the first
 * alternative's (then at least partly synthetic) output. The alternatives are the keys of a grace
 * period, and the ways to cut a jsencrypt ciphertext with a short block: all of them public
 * facts, while which one is valid is not, so the choice is made by mask after all the work is
 * done. Never throws on bad ciphertexts; does the same work whatever they hold.
 */
export function decryptFirstValid(alternatives: Alternative[]): Buffer {
  if (alternatives.length === 0 || alternatives[0].blocks.length === 0) throw new Error('nothing to decrypt');
  const { k } = alternatives[0].key;
  const count = alternatives[0].blocks.length;
  for (const a of alternatives) {
    if (a.key.k !== k || a.blocks.length !== count) throw new Error('alternatives of different shapes');
    for (const block of a.blocks) if (block.length !== k) throw new Error(`blocks must be ${k} bytes`);
  }

  const memo = new Map<RsaDecryptionKey, Map<Uint8Array, DecodedBlock>>();
  const decode = (key: RsaDecryptionKey, block: Uint8Array): DecodedBlock => {
    let byBlock = memo.get(key);
    if (!byBlock) {
      byBlock = new Map();
      memo.set(key, byBlock);
    }
    let d = byBlock.get(block);
    if (!d) {
      d = decodeBlock(key, rawDecrypt(key, block), block);
      byBlock.set(block, d);
    }
    return d;
  };
  const decoded = alternatives.map((a) => a.blocks.map((block) => decode(a.key, block)));

  // chosen[j] = 1 for the first alternative whose blocks were all good; the first when none was.
  const chosen: number[] = [];
  let taken = 0;
  for (const blocksOfAlternative of decoded) {
    let all = 1;
    for (const d of blocksOfAlternative) all &= d.good;
    chosen.push(all & ~taken & 1);
    taken |= all;
  }
  chosen[0] |= ~taken & 1;

  const parts: Buffer[] = [];
  for (let b = 0; b < count; b++) {
    const out = Buffer.alloc(k);
    let start = 0;
    for (let j = 0; j < decoded.length; j++) {
      const m = mask(chosen[j]);
      const d = decoded[j][b];
      for (let i = 0; i < k; i++) out[i] |= d.out[i] & m;
      start |= d.start & m;
    }
    // The message length is no padding signal: a synthetic message has a pseudo-random length.
    parts.push(out.subarray(start));
  }
  return Buffer.concat(parts);
}
