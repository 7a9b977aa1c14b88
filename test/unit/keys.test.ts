// Tokens are signed with node:crypto and must verify with jose (an independent implementation)
// for every algorithm Signet offers, before and after a rotation.
import { describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { KeyRing } from '../../src/domain/keys/signing-keys.js';
import { systemClock } from '../../src/domain/clock.js';
import { memoryStorage } from '../helpers/memory-storage.js';

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
