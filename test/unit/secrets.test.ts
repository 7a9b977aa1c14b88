import { describe, expect, it } from 'vitest';
import { deriveKey, randomToken, safeEqual, seal, sha256Hex, unseal } from '../../src/domain/crypto/secrets.js';
import { grantScope } from '../../src/domain/accounts/clients.js';
import { readClientCredentials } from '../../src/transport/credentials.js';
import { TrustedProxies } from '../../src/transport/clientip.js';

describe('sealing', () => {
  const key = Buffer.alloc(32, 1);
  it('round-trips and binds the context', () => {
    const s = seal(key, 'payload', 'ctx-a');
    expect(unseal(key, s, 'ctx-a')).toBe('payload');
    expect(() => unseal(key, s, 'ctx-b')).toThrow();
    expect(() => unseal(Buffer.alloc(32, 2), s, 'ctx-a')).toThrow();
    // A flipped bit of the tag (replacing characters could leave its bits unchanged by chance).
    const parts = s.split('.');
    const tag = Buffer.from(parts[3], 'base64url');
    tag[0] ^= 1;
    expect(() => unseal(key, [...parts.slice(0, 3), tag.toString('base64url')].join('.'), 'ctx-a')).toThrow();
  });
  it('derives distinct keys per secret and purpose', () => {
    expect(deriveKey('t1', 'p').equals(deriveKey('t1', 'p'))).toBe(true);
    expect(deriveKey('t1', 'p').equals(deriveKey('t2', 'p'))).toBe(false);
    expect(deriveKey('t1', 'p').equals(deriveKey('t1', 'q'))).toBe(false);
  });
  it('makes 256-bit tokens and compares safely', () => {
    expect(randomToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'b')).toBe(false);
    expect(safeEqual('a', 'ab')).toBe(false);
  });
});

describe('client credentials', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  it('reads fields and HTTP Basic (form-urlencoded parts), and refuses them when they disagree', () => {
    expect(readClientCredentials({ client_id: 'a', client_secret: 'b' }, undefined)).toEqual({ clientId: 'a', clientSecret: 'b' });
    expect(readClientCredentials({}, basic('my%20app:p%3Ass'))).toEqual({ clientId: 'my app', clientSecret: 'p:ss' });
    expect(readClientCredentials({}, basic('svc:a%3Ab%25c%2Bd+e'))).toEqual({ clientId: 'svc', clientSecret: 'a:b%c+d e' });
    expect(readClientCredentials({}, basic('web:'))).toEqual({ clientId: 'web', clientSecret: '' });
    expect(readClientCredentials({ client_id: 'web' }, basic('web:s'))).toEqual({ clientId: 'web', clientSecret: 's' });
    expect(readClientCredentials({ client_id: 'web', client_secret: 's' }, basic('web:s'))).toEqual({ clientId: 'web', clientSecret: 's' });
    expect(() => readClientCredentials({ client_id: 'a' }, basic('b:secret'))).toThrow(/invalid_argument/);
    expect(() => readClientCredentials({ client_id: 'x', client_secret: 'y' }, basic('x:z'))).toThrow(/invalid_argument/);
    expect(readClientCredentials({}, 'Bearer x')).toEqual({ clientId: '', clientSecret: '' });
  });
  it('grants the requested scopes only when all are allowed', () => {
    const client = { scopes: ['openid', 'user'] } as never;
    expect(grantScope(client, '')).toEqual(['openid', 'user']);
    expect(grantScope(client, ' user ')).toEqual(['user']);
    expect(() => grantScope(client, 'user admin')).toThrow(/invalid_scope/);
  });
});

describe('trusted proxies', () => {
  const p = new TrustedProxies(['10.0.0.0/8', '::1']);
  it('ignores x-forwarded-for from untrusted peers', () => {
    expect(p.clientIp('203.0.113.9', '1.2.3.4')).toBe('203.0.113.9');
  });
  it('walks x-forwarded-for from the right past trusted hops', () => {
    expect(p.clientIp('10.1.1.1', '6.6.6.6, 198.51.100.7, 10.2.2.2')).toBe('198.51.100.7');
    expect(p.clientIp('::1', '198.51.100.7')).toBe('198.51.100.7');
    expect(p.clientIp('::ffff:10.0.0.5', 'garbage, 198.51.100.8')).toBe('198.51.100.8');
  });
  it('trusts nobody by default', () => {
    expect(new TrustedProxies([]).clientIp('10.0.0.1', '1.1.1.1')).toBe('10.0.0.1');
  });
});
