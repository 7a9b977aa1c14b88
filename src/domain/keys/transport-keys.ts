// Transport keys: the RSA key pairs clients encrypt passwords with (GetPublicKey, then
// SignInWithEncryptedParams or an encrypted `password`). Their life mirrors the signing keys'
// (keys/signing-keys.ts): created on first start, stored sealed with the key-encryption key, re-read every
// 30 s, rotated on demand (`signet keys rotate-transport`). A retired key keeps decrypting for
// SIGNET_TRANSPORT_KEY_GRACE_SECONDS, so a page that fetched the public key just before a
// rotation still signs in.
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { TransportKey } from '../model.js';
import type { TransportKeyRepository } from '../ports.js';
import { seal, unseal } from '../crypto/secrets.js';
import { rsaDecryptionKey, type RsaDecryptionKey } from '../crypto/rsa.js';
import { SealedKeyRing } from './sealed-key-ring.js';
import type { Config } from '../../config.js';
import type { Clock } from '../clock.js';

const SEAL_CONTEXT = 'signet/transport-key';
/** An unknown thumbprint may name a key made a moment ago elsewhere; re-read at most this often for it. */
const UNKNOWN_RELOAD_MS = 1_000;

export const MIN_TRANSPORT_KEY_BITS = 2048;

/** Size of new keys, and how long a retired one keeps decrypting. */
export type TransportKeySettings = Config['transportKeys'];

interface LoadedKey {
  record: TransportKey;
  decryption: RsaDecryptionKey;
}

/** base64url SHA-256 of the SubjectPublicKeyInfo DER. */
export function thumbprintOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
}

const generateRsa = promisify(generateKeyPair);

export class TransportKeyRing extends SealedKeyRing<TransportKey, LoadedKey> {
  constructor(
    private readonly repo: TransportKeyRepository,
    private readonly kek: Buffer,
    readonly settings: TransportKeySettings,
    clock: Clock,
  ) {
    super(clock);
    if (settings.bits < MIN_TRANSPORT_KEY_BITS) throw new Error(`transport keys need at least ${MIN_TRANSPORT_KEY_BITS} bits`);
  }

  /** Makes a new active key; the others keep decrypting for the grace period. */
  rotate(): Promise<TransportKey> {
    return this.rotateUntil(this.graceEnd());
  }

  /** The keys that decrypt now, oldest first. */
  async list(): Promise<TransportKey[]> {
    await this.fresh();
    return [...this.usable()].map((k) => k.record);
  }

  /** The key clients should encrypt with: the newest active one. */
  async current(): Promise<{ publicKeyPem: string; thumbprint: string; bits: number }> {
    await this.fresh();
    const { record } = this.active!;
    return { publicKeyPem: record.publicKeyPem, thumbprint: record.thumbprint, bits: record.bits };
  }

  /**
   * The keys a ciphertext may have been made with: the one named by `thumbprint` (none when it
   * is unknown or past its grace period), or, without a thumbprint, every usable key, newest
   * first. Thumbprints and key sizes are public, so choosing among keys by them leaks nothing.
   */
  async decryptionKeys(thumbprint?: string): Promise<RsaDecryptionKey[]> {
    await this.fresh();
    if (!thumbprint) return [...this.usable()].reverse().map((k) => k.decryption);
    let key = this.loaded.get(thumbprint);
    if (!key && this.clock.now() - this.loadedAt >= UNKNOWN_RELOAD_MS) {
      await this.reloadShared();
      key = this.loaded.get(thumbprint);
    }
    return key && this.isUsable(key) ? [key.decryption] : [];
  }

  private graceEnd(): Date {
    return new Date(this.now().getTime() + this.settings.graceSeconds * 1000);
  }

  private isUsable(k: LoadedKey): boolean {
    return k.record.status === 'active' || !k.record.retireAt || k.record.retireAt.getTime() > this.now().getTime();
  }

  private *usable(): Iterable<LoadedKey> {
    for (const k of this.loaded.values()) if (this.isUsable(k)) yield k;
  }

  protected async createRecord(): Promise<TransportKey> {
    const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: this.settings.bits });
    const thumbprint = thumbprintOf(publicKey);
    const record: TransportKey = {
      thumbprint,
      bits: this.settings.bits,
      status: 'active',
      privateKeySealed: seal(this.kek, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, `${SEAL_CONTEXT}/${thumbprint}`),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
      createdAt: this.now(),
      retireAt: null,
    };
    await this.repo.insert(record);
    return record;
  }

  protected idOf(r: TransportKey): string {
    return r.thumbprint;
  }

  protected listRecords(): Promise<TransportKey[]> {
    return this.repo.listUsable(this.now());
  }

  protected retireAllExcept(thumbprint: string, retireAt: Date): Promise<void> {
    return this.repo.retireAllExcept(thumbprint, retireAt);
  }

  protected open(record: TransportKey): LoadedKey {
    const pem = unseal(this.kek, record.privateKeySealed, `${SEAL_CONTEXT}/${record.thumbprint}`);
    const key = createPrivateKey(pem);
    // The thumbprint names the key in requests: it must be the key's own.
    if (thumbprintOf(createPublicKey(key)) !== record.thumbprint)
      throw new Error(`transport key ${record.thumbprint} does not match its thumbprint`);
    return { record, decryption: rsaDecryptionKey(key) };
  }
}
