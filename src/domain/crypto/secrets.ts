import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual, hkdfSync } from 'node:crypto';

/** 256-bit random, base64url: refresh tokens, client secrets, ids that must not be guessable. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Compares two strings in time that depends only on their length. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const VERSION = 'v1';

/**
 * AES-256-GCM with a random nonce. `context` is bound as associated data so a sealed value
 * cannot be moved from one purpose (a signing key) to another (a successor token pair).
 */
export function seal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(context));
  const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return [VERSION, iv.toString('base64url'), body.toString('base64url'), c.getAuthTag().toString('base64url')].join('.');
}

/** Throws when the value was not sealed with this key and context. */
export function unseal(key: Buffer, sealed: string, context: string): string {
  const [v, iv, body, tag] = sealed.split('.');
  if (v !== VERSION || !iv || !body || !tag) throw new Error('malformed sealed value');
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  d.setAAD(Buffer.from(context));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
}

/** A 256-bit key derived from a high-entropy secret (a refresh token) for one purpose. */
export const deriveKey = (secret: string, purpose: string): Buffer => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), purpose, 32));
