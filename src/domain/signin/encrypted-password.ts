// Passwords that travel RSA-encrypted with Signet's transport key (keys/transport-keys.ts), decrypted
// with implicit rejection (crypto/rsa.ts). Two shapes:
//
//  - an encrypted `password` field (SignIn, the token endpoint's password grant; what HZERO's
//    front ends send, made by jsencrypt): base64 of one RSA block, PKCS#1 v1.5 or OAEP-SHA256.
//    Whether it is decrypted is the client's `password_encryption`: `none` never (a password is a
//    password), `rsa` when it is base64 of one key-sized block (anything else is taken as typed),
//    `required` always (anything else is `invalid_argument`, HZERO key hoth.warn.decodePasswordError).
//  - CloudBase's encrypted sign-in (POST /auth/v2/signin/username): `params` is base64 of RSA
//    blocks of the JSON {username, password}, made by the SDK's jsencrypt `encryptLong`: the JSON
//    text in chunks of 117 characters (when it is longer than k-11 bytes), each chunk one PKCS#1
//    v1.5 block, the blocks' hex concatenated and the whole base64-encoded.
//
// What is refused with invalid_argument is only what anyone can see without the key: not base64,
// not a whole number of key-sized blocks, an unknown key thumbprint, a replayed ciphertext.
// Everything that needs the private key to judge (the padding, the JSON inside) never fails:
// a bad block decrypts to a synthetic message, whose "password" then fails like any wrong
// password, through the same lockout, captcha and audit steps — so a tampered ciphertext and a
// wrong password get the same answer.
import { createHash, createHmac } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { Client } from '../model.js';
import { invalidArgument, isSignetError } from '../errors.js';
import { decryptFirstValid, type Alternative, type RsaDecryptionKey } from '../crypto/rsa.js';
import type { Admission } from '../defence/request-checks.js';
import type { IdentifierInput, PasswordInput } from '../commands.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/**
 * jsencrypt writes each block as the minimal hex of the ciphertext integer, dropping its leading
 * zero bytes: one block in 256 is a byte short, one in 65 536 two. A lone block is left-padded back
 * (the same integer). In a concatenation the short block cannot be located from the outside, so
 * with one byte missing every block is tried as the short one, and the first way of cutting under
 * which all blocks decrypt validly wins (rsa.ts decryptFirstValid: the same work whichever it is).
 * Two or more bytes missing from a concatenation (p ≈ n²/131 072) answer invalid_argument; the
 * SDK's next attempt encrypts with fresh padding.
 */
const MAX_STRIPPED_ZEROS = 2;
/**
 * Most blocks a `params` may have: the JSON of a sign-in fits in a few (117 characters a block).
 * It bounds one request's RSA work: with a byte missing, at most 3n-2 distinct blocks per key.
 */
const MAX_BLOCKS = 8;

/** Strict base64 (standard, or URL-safe without padding); undefined when it is not. */
function decodeBase64(s: string): Buffer | undefined {
  const b = BASE64.test(s) ? Buffer.from(s, 'base64') : BASE64URL.test(s) ? Buffer.from(s, 'base64url') : undefined;
  return b && b.length > 0 ? b : undefined;
}

const leftPad = (b: Buffer, k: number): Buffer => (b.length === k ? b : Buffer.concat([Buffer.alloc(k - b.length), b]));

/**
 * The ways to cut the ciphertext into k-byte blocks (see MAX_STRIPPED_ZEROS), as lists of blocks;
 * undefined when its length fits no way. Blocks at the same place are the same object, so that
 * decryptFirstValid decrypts each once.
 */
export function candidateSplits(ct: Buffer, k: number, maxBlocks: number): Buffer[][] | undefined {
  const n = Math.ceil(ct.length / k);
  const missing = n * k - ct.length;
  if (ct.length === 0 || n > maxBlocks) return undefined;
  if (n === 1) return missing <= MAX_STRIPPED_ZEROS ? [[leftPad(ct, k)]] : undefined;
  if (missing > 1) return undefined;
  const slices = new Map<string, Buffer>();
  const slice = (start: number, length: number): Buffer => {
    const id = `${start}:${length}`;
    let b = slices.get(id);
    if (!b) {
      b = leftPad(ct.subarray(start, start + length), k);
      slices.set(id, b);
    }
    return b;
  };
  if (missing === 0) return [Array.from({ length: n }, (_, i) => slice(i * k, k))];
  return Array.from({ length: n }, (_, short) =>
    Array.from({ length: n }, (_, i) => slice(i * k - (i > short ? 1 : 0), i === short ? k - 1 : k)),
  );
}

/** Every key with every way to cut the ciphertext: the keys of a grace period first by key. */
const alternatives = (keys: RsaDecryptionKey[], splits: Buffer[][]): Alternative[] =>
  keys.flatMap((key) => splits.map((blocks) => ({ key, blocks })));

/** Keys grouped by size, largest group first: a ciphertext's length says which group made it. */
function bySize(keys: RsaDecryptionKey[]): Map<number, RsaDecryptionKey[]> {
  const groups = new Map<number, RsaDecryptionKey[]>();
  for (const key of keys) groups.set(key.k, [...(groups.get(key.k) ?? []), key]);
  return groups;
}

/**
 * Refuses a ciphertext seen before, for clients that ask for it: remembers (ReplayMemory) the SHA-256
 * of each way to cut it (the blocks as k-byte integers, so that dropping or adding a leading zero
 * byte does not make a "new" ciphertext), for twice the grace period: long enough that a key
 * rotated at least every grace period cannot decrypt it any more when the entry expires. Refused
 * when any of them was seen. The answer tells the sender nothing about the plaintext (whoever
 * replays a ciphertext already had it), so it can be plain invalid_argument. Returns the keys it
 * set (see releaseIfUnused).
 */
async function checkReplay(deps: Deps, client: Client, splits: Buffer[][], field: string): Promise<string[]> {
  if (!client.rejectReplayedPasswords) return [];
  const ttl = 2 * deps.transportKeys.settings.graceSeconds;
  const keys = splits.map((blocks) => {
    const h = createHash('sha256');
    for (const b of blocks) h.update(b);
    return h.digest('base64url');
  });
  const fresh = await deps.stores.replays.rememberNew(keys, ttl);
  if (fresh.includes(false)) {
    // Give back what this attempt took, so that a concurrent first use is not refused for it.
    const mine = keys.filter((_, i) => fresh[i]);
    if (mine.length > 0) await deps.stores.replays.forget(mine);
    throw invalidArgument(field, 'this ciphertext was used before: encrypt the password again', 'invalid_argument.password_replayed');
  }
  return keys;
}

/**
 * Refusals that come before any password is compared: the ciphertext was not used up, and the
 * CloudBase SDK repeats the very same request (same ciphertext) once the captcha is solved.
 */
const NOT_COMPARED = new Set(['captcha_required', 'captcha_invalid', 'resource_exhausted']);

/** Runs the sign-in; when it is refused before the password was compared, forgets the replay marks. */
async function releaseIfUnused<T>(deps: Deps, replayKeys: string[], signIn: () => Promise<T>): Promise<T> {
  try {
    return await signIn();
  } catch (err) {
    if (replayKeys.length > 0 && isSignetError(err) && NOT_COMPARED.has(err.reason)) await deps.stores.replays.forget(replayKeys);
    throw err;
  }
}

/**
 * Text from decrypted bytes. jsencrypt encodes each UTF-16 code unit on its own, so a character
 * outside the BMP (an emoji) arrives as two 3-byte surrogates (CESU-8, ED A0..AF xx ED B0..BF xx),
 * which UTF-8 forbids; they are joined back into the character before decoding. Runs on the
 * plaintext only (real or synthetic: both look alike), never on padding.
 */
export function decodeText(b: Uint8Array): string {
  let out: number[] | undefined;
  for (let i = 0; i < b.length; i++) {
    if (
      b[i] === 0xed &&
      i + 5 < b.length &&
      (b[i + 1] & 0xf0) === 0xa0 &&
      (b[i + 2] & 0xc0) === 0x80 &&
      b[i + 3] === 0xed &&
      (b[i + 4] & 0xf0) === 0xb0 &&
      (b[i + 5] & 0xc0) === 0x80
    ) {
      out ??= Array.from(b.subarray(0, i));
      const hi = 0xd000 | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f);
      const lo = 0xd000 | ((b[i + 4] & 0x3f) << 6) | (b[i + 5] & 0x3f);
      const cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
      out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
      i += 5;
    } else if (out) {
      out.push(b[i]);
    }
  }
  return Buffer.from(out ?? b).toString('utf8');
}

/**
 * A password that cannot match: what an empty decryption (a zero-length message, real or
 * synthetic) becomes, so that it fails like any other wrong password instead of as a missing one.
 */
const NO_PASSWORD = '\u0000';

/**
 * The password a password sign-in compares, per the client's `password_encryption`, with the
 * replay marks it set. See withPassword.
 */
export async function decryptPassword(deps: Deps, client: Client, password: string): Promise<{ password: string; replayKeys: string[] }> {
  if (client.passwordEncryption === 'none' || !password) return { password, replayKeys: [] };
  const ct = decodeBase64(password);
  const groups = ct ? bySize(await deps.transportKeys.decryptionKeys()) : new Map<number, RsaDecryptionKey[]>();
  for (const [k, keys] of groups) {
    const splits = candidateSplits(ct!, k, 1);
    if (!splits) continue;
    const replayKeys = await checkReplay(deps, client, splits, 'password');
    const text = decodeText(decryptFirstValid(alternatives(keys, splits)));
    return { password: text === '' ? NO_PASSWORD : text, replayKeys };
  }
  if (client.passwordEncryption === 'rsa') return { password, replayKeys: [] };
  throw invalidArgument(
    'password',
    'must be the base64 RSA ciphertext of the password (one block of the transport key)',
    'invalid_argument.password_undecodable',
  );
}

export interface EncryptedSignIn {
  username?: string;
  email?: string;
  phone_number?: string;
  password: string;
  verification_token?: string;
  /**
   * The params did not hold a sign-in (a tampered or garbled ciphertext): username and password
   * are stand-ins that match no account, and the sign-in must answer invalid_password as for a
   * hidden unknown user (see readEncryptedParams).
   */
  undecodable: boolean;
}

const IDENTIFIER_FIELDS = ['username', 'email', 'phone_number'] as const;

/**
 * CloudBase's encrypted sign-in: decrypts `params` under the key named by `thumbprint` (every
 * usable key without one) and reads the JSON {username | email | phone_number, password}.
 *
 * When the plaintext is not such a JSON (which is what any tampered ciphertext decrypts to, padding
 * valid or not), there is no identifier to count the failure against. The sign-in then goes on
 * with a stand-in: a username no account can have ('#' is not allowed in usernames), derived from
 * the plaintext with the HMAC key (so the same ciphertext always counts against the same
 * identifier, and nothing about the bytes shows), and the caller answers it as an unknown user of a
 * tenant that hides unknown users: invalid_password with the attempts left, after the same
 * lockout reservation, dummy hash and per-IP failure count as a wrong password. So a tampered
 * ciphertext is answered exactly like a wrong password, whatever the tenant's hide_unknown_users.
 * (A well-formed JSON naming an unknown user is answered per the tenant policy, as in SignIn: only
 * someone who knows the plaintext can make one, so it is no oracle.)
 */
export async function readEncryptedParams(
  deps: Deps,
  client: Client,
  params: string,
  thumbprint: string,
): Promise<EncryptedSignIn & { replayKeys: string[] }> {
  const ct = decodeBase64(params);
  if (!ct) throw invalidArgument('params', 'must be base64 of RSA ciphertext blocks');
  const keys = await deps.transportKeys.decryptionKeys(thumbprint || undefined);
  if (keys.length === 0) {
    throw invalidArgument('public_key_thumbprint', 'unknown or expired transport key: fetch the public key again');
  }
  for (const [k, group] of bySize(keys)) {
    const splits = candidateSplits(ct, k, MAX_BLOCKS);
    if (!splits) continue;
    const replayKeys = await checkReplay(deps, client, splits, 'params');
    const plaintext = decryptFirstValid(alternatives(group, splits));
    return { ...(parseSignIn(decodeText(plaintext)) ?? standIn(deps, plaintext)), replayKeys };
  }
  throw invalidArgument('params', 'not a whole number of blocks of the transport key');
}

/** The password of a sign-in, and whom it names when the ciphertext carried the identifier too. */
export interface ObtainedPassword {
  password: string;
  /** From CloudBase's params: the identifier and second-factor token they held. */
  identifier?: IdentifierInput;
  verificationToken?: string;
  /** The params held no sign-in: answer as for a hidden unknown user (see readEncryptedParams). */
  undecodable: boolean;
}

/**
 * Obtains the password a sign-in compares, from any of the ways it travels (plain, an RSA
 * password field, CloudBase's params), and runs the sign-in with it. Decryption comes first, so
 * that a decrypted password and a typed one take the same path (lockout reservation, captcha
 * gate, hash comparison, audit); it costs more than a Redis write, so the request is counted
 * against its limits before it. A sign-in refused before the password was compared forgets the
 * ciphertext's replay marks.
 */
export async function obtainPassword<T>(
  deps: Deps,
  client: Client,
  input: PasswordInput,
  checks: Admission,
  signIn: (p: ObtainedPassword) => Promise<T>,
): Promise<T> {
  if (input.kind === 'field') {
    if (client.passwordEncryption !== 'none') await checks.limits();
    const d = await decryptPassword(deps, client, input.value);
    return releaseIfUnused(deps, d.replayKeys, () => signIn({ password: d.password, undecodable: false }));
  }
  await checks.limits();
  const { replayKeys, ...p } = await readEncryptedParams(deps, client, input.params, input.thumbprint);
  return releaseIfUnused(deps, replayKeys, () =>
    signIn({
      password: p.password,
      identifier: { username: p.username, email: p.email, phoneNumber: p.phone_number },
      verificationToken: p.verification_token,
      undecodable: p.undecodable,
    }),
  );
}

function parseSignIn(text: string): EncryptedSignIn | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const str = (key: string): string | undefined => (typeof o[key] === 'string' && o[key] !== '' ? (o[key] as string) : undefined);
  const password = str('password');
  const given = IDENTIFIER_FIELDS.filter((f) => str(f) !== undefined);
  if (!password || given.length !== 1) return undefined;
  return {
    username: str('username'),
    email: str('email'),
    phone_number: str('phone_number'),
    password,
    verification_token: str('verification_token'),
    undecodable: false,
  };
}

function standIn(deps: Deps, plaintext: Buffer): EncryptedSignIn {
  const mac = createHmac('sha256', deps.hmacKey).update('signet/undecodable-params').update(plaintext).digest();
  return {
    username: `#${mac.subarray(0, 12).toString('hex')}`,
    password: mac.subarray(12).toString('base64url'),
    undecodable: true,
  };
}

/**
 * One password as CloudBase's encryptLong sends it on its own (user/basic/edit, v2
 * password/update): base64 of RSA blocks of the password text, under the key named by
 * `thumbprint` (every usable key without one). Like the other shapes, nothing that needs the
 * private key to judge fails: a tampered ciphertext decrypts to a synthetic text, which then
 * fails as a wrong password (or, as a new password, is one nobody knows). `field` names the
 * request field in the refusals anyone could make without the key.
 */
export async function decryptPasswordText(
  deps: Deps,
  client: Client,
  ciphertext: string,
  thumbprint: string,
  field: string,
): Promise<string> {
  const ct = decodeBase64(ciphertext);
  if (!ct) throw invalidArgument(field, 'must be base64 of RSA ciphertext blocks');
  const keys = await deps.transportKeys.decryptionKeys(thumbprint || undefined);
  if (keys.length === 0) throw invalidArgument('public_key_thumbprint', 'unknown or expired transport key: fetch the public key again');
  for (const [k, group] of bySize(keys)) {
    const splits = candidateSplits(ct, k, MAX_BLOCKS);
    if (!splits) continue;
    await checkReplay(deps, client, splits, field);
    const text = decodeText(decryptFirstValid(alternatives(group, splits)));
    return text === '' ? NO_PASSWORD : text;
  }
  throw invalidArgument(field, 'not a whole number of blocks of the transport key');
}
