// Transport keys: the RSA key pairs clients encrypt passwords with (GetPublicKey, then
// SignInWithEncryptedParams or an encrypted `password`). Their life mirrors the signing keys'
// (keys.ts): created on first start, stored sealed with the key-encryption key, re-read every
// 30 s, rotated on demand (`signet keys rotate-transport`). A retired key keeps decrypting for
// SIGNET_TRANSPORT_KEY_GRACE_SECONDS, so a page that fetched the public key just before a
// rotation still signs in.
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { TransportKey } from './model.js';
import type { TransportKeyRepository } from './ports.js';
import { seal, unseal } from './crypto/secrets.js';
import { rsaDecryptionKey, type RsaDecryptionKey } from './crypto/rsa.js';

const SEAL_CONTEXT = 'signet/transport-key';
/** How often an instance re-reads the key table, so a rotation made elsewhere is picked up. */
const RELOAD_MS = 30_000;
/** An unknown thumbprint may name a key made a moment ago elsewhere; re-read at most this often for it. */
const UNKNOWN_RELOAD_MS = 1_000;

export const MIN_TRANSPORT_KEY_BITS = 2048;

export interface TransportKeySettings {
  /** Modulus size of new keys (2048 or more). */
  bits: number;
  /** How long a retired key keeps decrypting. */
  graceSeconds: number;
}

interface LoadedKey {
  record: TransportKey;
  decryption: RsaDecryptionKey;
}

/** base64url SHA-256 of the SubjectPublicKeyInfo DER. */
export function thumbprintOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
}

const generateRsa = promisify(generateKeyPair);

export class TransportKeyRing {
  private loaded = new Map<string, LoadedKey>();
  private active: LoadedKey | undefined;
  private loadedAt = 0;
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly repo: TransportKeyRepository,
    private readonly kek: Buffer,
    readonly settings: TransportKeySettings,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (settings.bits < MIN_TRANSPORT_KEY_BITS) throw new Error(`transport keys need at least ${MIN_TRANSPORT_KEY_BITS} bits`);
  }

  /**
   * Loads the keys, creating the first one when there is none. Instances that start together on
   * an empty table may each create one: they all stay active (each decrypts), every instance
   * publishes the newest once it has re-read the table, and the next rotation retires the rest.
   * (Retiring the losers here instead would race too: an instance with a stale view could retire
   * the winner, leaving no active key at all.)
   */
  async init(): Promise<void> {
    await this.reload();
    if (!this.active) {
      await this.create();
      await this.reload();
    }
  }

  /** Makes a new active key and retires the others; returns the new key's record. */
  async rotate(): Promise<TransportKey> {
    const record = await this.create();
    await this.repo.retireAllExcept(record.thumbprint, this.graceEnd());
    await this.reload();
    return record;
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
    if (!key && Date.now() - this.loadedAt >= UNKNOWN_RELOAD_MS) {
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

  private async create(): Promise<TransportKey> {
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

  private async fresh(): Promise<void> {
    if (this.active && Date.now() - this.loadedAt < RELOAD_MS) return;
    await this.reloadShared();
  }

  private async reloadShared(): Promise<void> {
    this.reloading ??= this.reload().finally(() => (this.reloading = undefined));
    await this.reloading;
  }

  private async reload(): Promise<void> {
    const records = await this.repo.listUsable(this.now());
    const next = new Map<string, LoadedKey>();
    for (const record of records) {
      const known = this.loaded.get(record.thumbprint);
      const decryption = known?.decryption ?? this.open(record);
      next.set(record.thumbprint, { record, decryption });
    }
    this.loaded = next;
    // The newest active key is published; several can be active for a moment after a race.
    this.active = [...next.values()].filter((k) => k.record.status === 'active').at(-1);
    this.loadedAt = Date.now();
  }

  private open(record: TransportKey): RsaDecryptionKey {
    const pem = unseal(this.kek, record.privateKeySealed, `${SEAL_CONTEXT}/${record.thumbprint}`);
    const key = createPrivateKey(pem);
    // The thumbprint names the key in requests: it must be the key's own.
    if (thumbprintOf(createPublicKey(key)) !== record.thumbprint) throw new Error(`transport key ${record.thumbprint} does not match its thumbprint`);
    return rsaDecryptionKey(key);
  }
}
