// Signing keys: created on first start, stored sealed with the key-encryption key, published in
// the JWKS, rotated on demand. A retired key stays published until every token it signed has
// expired, so verifiers holding a cached JWKS never see a valid token they cannot check.
import { compactVerify, errors, exportJWK, exportPKCS8, generateKeyPair, jwtVerify, createLocalJWKSet } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import { constants, createHash, createPrivateKey, randomUUID, sign, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import type { SigningKey } from '../model.js';
import type { SigningKeyRepository } from '../ports.js';
import { seal, unseal } from '../crypto/secrets.js';
import { SealedKeyRing } from './sealed-key-ring.js';
import type { Clock } from '../clock.js';

const SEAL_CONTEXT = 'signet/signing-key';
/** An unknown kid may name a key rotated in a moment ago on another instance; re-read at most this often for it. */
const UNKNOWN_RELOAD_MS = 1_000;

interface LoadedKey {
  record: SigningKey;
  privateKey: KeyObject;
}

/**
 * node:crypto's form of each JWS algorithm (RFC 7518 section 3), and the hash of its id_token's
 * at_hash. EdDSA keys are Ed25519 (jose's default), whose signature hashes with SHA-512: the
 * OpenID Connect working group's reading for at_hash (openid/connect issue 1125).
 */
const SIGNERS: Record<string, { hash: string | null; claimHash: string; options: Partial<SignKeyObjectInput> }> = {
  ES256: { hash: 'sha256', claimHash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { hash: 'sha384', claimHash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  RS256: { hash: 'sha256', claimHash: 'sha256', options: {} },
  PS256: { hash: 'sha256', claimHash: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  EdDSA: { hash: null, claimHash: 'sha512', options: {} },
};

/**
 * OIDC Core 3.1.3.6 (at_hash): the left-most half of the hash of the value's ASCII octets,
 * base64url, with the hash of the alg that signs the id_token (SHA-256 for ES256: 16 bytes).
 */
export function leftHalfHash(alg: string, value: string): string {
  const digest = createHash(SIGNERS[alg].claimHash).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** The claims, or a function of the alg that will sign them (for claims hashed with its hash). */
export type ClaimsFor = JWTPayload | ((alg: string) => JWTPayload);

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

export class KeyRing extends SealedKeyRing<SigningKey, LoadedKey> {
  private jwks: { keys: JWK[] } = { keys: [] };
  private verifySet: ReturnType<typeof createLocalJWKSet> | undefined;

  constructor(
    private readonly repo: SigningKeyRepository,
    private readonly kek: Buffer,
    private readonly alg: string,
    /** Longest lifetime of any token we sign: how long a retired key stays published. */
    private readonly maxTokenTtlSeconds: number,
    clock: Clock,
  ) {
    super(clock);
  }

  /** Makes a new active key and retires the others; returns the new key's record. */
  rotate(): Promise<SigningKey> {
    return this.rotateUntil(new Date(this.now().getTime() + this.maxTokenTtlSeconds * 1000));
  }

  async list(): Promise<SigningKey[]> {
    await this.fresh();
    return [...this.loaded.values()].map((k) => k.record);
  }

  async publicJwks(): Promise<{ keys: JWK[] }> {
    await this.fresh();
    return this.jwks;
  }

  /**
   * A compact JWS signed with node:crypto rather than jose's SignJWT: jose 6 signs through
   * WebCrypto, asynchronously, at about three times the CPU per token, and tokens are minted on
   * every grant. jose still makes the keys and the JWKS and verifies every token, so tests and
   * clients check these signatures with an independent implementation. Claims given as a function
   * get the alg of the very key that signs, even across a rotation.
   */
  async sign(claims: ClaimsFor, ttlSeconds: number, typ: string, notAfter?: number): Promise<string> {
    await this.fresh();
    const key = this.active!;
    const body = typeof claims === 'function' ? claims(key.record.alg) : claims;
    const iat = Math.floor(this.now().getTime() / 1000);
    // `notAfter` (seconds since the epoch) caps exp: a token derived from another lives no longer.
    const exp = notAfter === undefined ? iat + ttlSeconds : Math.min(iat + ttlSeconds, notAfter);
    const header = b64url(JSON.stringify({ alg: key.record.alg, kid: key.record.kid, typ }));
    const input = `${header}.${b64url(JSON.stringify({ ...body, iat, exp }))}`;
    const signer = SIGNERS[key.record.alg];
    const signature = sign(signer.hash, Buffer.from(input), { ...signer.options, key: key.privateKey } as SignKeyObjectInput);
    return `${input}.${signature.toString('base64url')}`;
  }

  /** Verifies signature, expiry, issuer and type; throws on any failure. */
  async verify(token: string, issuer: string, typ: string): Promise<JWTPayload> {
    const { payload } = await this.withKeys(() =>
      jwtVerify(token, this.verifySet!, {
        issuer,
        typ,
        algorithms: [this.alg, ...this.algs()],
        currentDate: this.now(),
      }),
    );
    return payload;
  }

  /**
   * Verifies signature, issuer and type only, not expiry: an id_token_hint (RP-Initiated Logout)
   * proves who issued it, and is commonly presented after it expired. Throws on any failure.
   */
  async verifyIssued(token: string, issuer: string, typ: string): Promise<JWTPayload> {
    const { payload, protectedHeader } = await this.withKeys(() =>
      compactVerify(token, this.verifySet!, { algorithms: [this.alg, ...this.algs()] }),
    );
    if (protectedHeader.typ !== typ) throw new Error('unexpected typ');
    const claims: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new Error('claims are not an object');
    if ((claims as JWTPayload).iss !== issuer) throw new Error('unexpected iss');
    return claims as JWTPayload;
  }

  /** Runs a verification, once more after re-reading the keys if it named a kid not loaded. */
  private async withKeys<T>(verify: () => Promise<T>): Promise<T> {
    await this.fresh();
    try {
      return await verify();
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || this.clock.now() - this.loadedAt < UNKNOWN_RELOAD_MS) throw err;
      await this.reloadShared();
      return verify();
    }
  }

  private algs(): string[] {
    return [...new Set([...this.loaded.values()].map((k) => k.record.alg))];
  }

  protected idOf(r: SigningKey): string {
    return r.kid;
  }

  protected listRecords(): Promise<SigningKey[]> {
    return this.repo.listPublished(this.now());
  }

  protected retireAllExcept(kid: string, retireAt: Date): Promise<void> {
    return this.repo.retireAllExcept(kid, retireAt);
  }

  protected async createRecord(): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair(this.alg, { extractable: true });
    const kid = randomUUID();
    const jwk = await exportJWK(publicKey);
    const record: SigningKey = {
      kid,
      alg: this.alg,
      status: 'active',
      privateKeySealed: seal(this.kek, await exportPKCS8(privateKey), `${SEAL_CONTEXT}/${kid}`),
      publicJwk: { ...(jwk as Record<string, string>), kid, alg: this.alg, use: 'sig' },
      createdAt: this.now(),
      retireAt: null,
    };
    await this.repo.insert(record);
    return record;
  }

  protected open(record: SigningKey): LoadedKey {
    return { record, privateKey: createPrivateKey(unseal(this.kek, record.privateKeySealed, `${SEAL_CONTEXT}/${record.kid}`)) };
  }

  protected afterReload(records: SigningKey[]): void {
    this.jwks = { keys: records.map((r) => r.publicJwk as JWK) };
    this.verifySet = createLocalJWKSet(this.jwks);
  }
}
