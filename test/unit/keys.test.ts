// Tokens are signed with node:crypto and must verify with jose (an independent implementation)
// for every algorithm Signet offers, before and after a rotation.
import { describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { KeyRing } from '../../src/domain/keys/signing-keys.js';
import { systemClock } from '../../src/domain/clock.js';
import { memoryStorage } from '../helpers/memory-storage.js';
import { FakeClock } from '../helpers/clock.js';

describe.each(['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'])('KeyRing %s', (alg) => {
  it('signs tokens that jose verifies through the published JWKS, across a rotation', async () => {
    const ring = new KeyRing(memoryStorage().signingKeys, Buffer.alloc(32, 5), alg, 3600, systemClock);
    await ring.init();
    const before = await ring.sign({ iss: 'https://i', sub: 'u1', scope: 'a b' }, 600, 'at+jwt');
    await ring.rotate();
    const after = await ring.sign({ iss: 'https://i', sub: 'u2' }, 600, 'at+jwt');
    const jwks = createLocalJWKSet(await ring.publicJwks());
    const a = await jwtVerify(before, jwks, { issuer: 'https://i', typ: 'at+jwt', algorithms: [alg] });
    const b = await jwtVerify(after, jwks, { issuer: 'https://i', typ: 'at+jwt', algorithms: [alg] });
    expect(a.payload).toMatchObject({ sub: 'u1', scope: 'a b' });
    expect(b.payload.exp! - b.payload.iat!).toBe(600);
    expect(decodeProtectedHeader(before).kid).not.toBe(decodeProtectedHeader(after).kid);
    await expect(ring.verify(before, 'https://i', 'at+jwt')).resolves.toMatchObject({ sub: 'u1' });
    await expect(ring.verify(`${before.slice(0, -3)}AAA`, 'https://i', 'at+jwt')).rejects.toThrow();
    await expect(ring.verify(before, 'https://other', 'at+jwt')).rejects.toThrow();
  });
});

describe('KeyRing on several instances', () => {
  it('verifies at once a token signed with a key another instance rotated in, re-reading the keys at most once a second', async () => {
    const storage = memoryStorage();
    const clock = new FakeClock();
    const [a, b] = [1, 2].map(() => new KeyRing(storage.signingKeys, Buffer.alloc(32, 5), 'ES256', 3600, clock));
    await a.init();
    await b.init();
    await a.rotate();
    const token = await a.sign({ iss: 'https://i', sub: 'u1' }, 600, 'at+jwt');
    let reads = 0;
    const list = storage.signingKeys.listPublished.bind(storage.signingKeys);
    storage.signingKeys.listPublished = (now) => {
      reads++;
      return list(now);
    };
    // Within a second of b's last read of the keys, an unknown kid does not make it read again.
    await expect(b.verify(token, 'https://i', 'at+jwt')).rejects.toThrow();
    expect(reads).toBe(0);
    clock.advance(1_000);
    await expect(b.verify(token, 'https://i', 'at+jwt')).resolves.toMatchObject({ sub: 'u1' });
    await expect(b.verifyIssued(token, 'https://i', 'at+jwt')).resolves.toMatchObject({ sub: 'u1' });
    expect(reads).toBe(1);
  });
});
