// Measures how long decryptBlocks (src/domain/crypto/rsa.ts) takes for a valid PKCS#1 v1.5
// ciphertext, a valid OAEP one and several kinds of bad ones, interleaved in random order so that
// drift hits every class alike. Not a test (timings never decide a test): a sanity check to run by
// hand, `npx tsx scripts/rsa-timing.ts [rounds]`. Prints per class the median and the 10th/90th
// percentiles in microseconds, and the difference of each class's median to the valid one: once
// for the whole decryption (the RSA operation dominates), once for the padding removal alone
// (decodeBlock on the raw RSA output: where Marvin found its signal).
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { decodeBlock, decryptBlocks, rsaDecryptionKey } from '../src/domain/crypto/rsa.js';

const rounds = Number(process.argv[2] ?? 20000);
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const key = rsaDecryptionKey(privateKey);
const K = key.k;
const raw = (em: Buffer) => publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, em);
const msg = Buffer.from('{"username":"alice","password":"correct horse battery staple"}');
const em = (first: number, second: number, psLen: number, sep = true) =>
  Buffer.concat([
    Buffer.from([first, second]),
    randomBytes(psLen).map((b) => b | 1),
    Buffer.from(sep ? [0] : [1]),
    Buffer.concat([msg, Buffer.alloc(K, 0x41)]).subarray(0, K - 3 - psLen),
  ]);

const classes: Record<string, Buffer> = {
  'valid v1.5': publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, msg),
  'valid OAEP-SHA256': publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, msg),
  'bad first byte': raw(em(1, 2, K - 3 - msg.length)),
  'bad second byte': raw(em(0, 1, K - 3 - msg.length)),
  'no separator': raw(Buffer.concat([Buffer.from([0, 2]), randomBytes(K - 2).map((b) => b | 1)])),
  'padding 7 bytes': raw(em(0, 2, 7)),
  'random': Buffer.concat([Buffer.from([0]), randomBytes(K - 1)]),
};
const names = Object.keys(classes);
const ems: Record<string, Buffer> = Object.fromEntries(names.map((n) => [n, Buffer.from(require_raw(classes[n]))]));
function require_raw(ct: Buffer): Buffer {
  return privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ct);
}

function measure(label: string, run: (n: string) => void): void {
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < 2000; i++) for (const n of names) run(n); // warm-up
  for (let r = 0; r < rounds; r++) {
    const order = [...names].sort(() => Math.random() - 0.5);
    for (const n of order) {
      const t0 = process.hrtime.bigint();
      run(n);
      samples[n].push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  const sorted = Object.fromEntries(names.map((n) => [n, [...samples[n]].sort((a, b) => a - b)]));
  const base = pct(sorted[names[0]], 0.5);
  console.log(`\n${label}: node ${process.version}, ${rounds} rounds per class, 2048-bit key; microseconds`);
  console.log('class'.padEnd(20), 'p10'.padStart(9), 'median'.padStart(9), 'p90'.padStart(9), 'Δmedian'.padStart(9));
  for (const n of names) {
    const xs = sorted[n];
    console.log(
      n.padEnd(20),
      pct(xs, 0.1).toFixed(2).padStart(9),
      pct(xs, 0.5).toFixed(2).padStart(9),
      pct(xs, 0.9).toFixed(2).padStart(9),
      (pct(xs, 0.5) - base).toFixed(2).padStart(9),
    );
  }
}

measure('decryptBlocks (RSA + unpadding)', (n) => decryptBlocks([key], [classes[n]]));
measure('decodeBlock (unpadding only)', (n) => decodeBlock(key, ems[n], classes[n]));
