// Authorization codes on the in-process store and a fake clock: PKCE parameters, single use,
// expiry on the domain's clock, and a replay revoking the session id the redemption reserved.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fakeDeps } from '../helpers/fakes.js';
import { FakeClock } from '../helpers/clock.js';
import {
  issueCode,
  readCodeChallenge,
  redeemCode,
  verifyCodeVerifier,
  type CodeGrant,
} from '../../src/domain/tokens/authorization-codes.js';
import { isRevoked } from '../../src/domain/sessions/revocation.js';
import { checkRedirectUris } from '../../src/domain/accounts/redirect-uris.js';

const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'; // RFC 7636 appendix B
const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { reason: string; detail: string }).detail;
  }
  return 'ok';
};
const grant: CodeGrant = {
  tenantId: 't',
  clientId: 'c',
  userId: 'u',
  sessionId: 's0',
  redirectUri: 'https://a.example/cb',
  scope: ['openid'],
  nonce: 'n',
  codeChallenge: CHALLENGE,
  authTime: 0,
  amr: ['pwd'],
};

describe('authorization codes', () => {
  it('PKCE: S256 only, the RFC 7636 example verifies, anything else is invalid_grant', () => {
    expect(createHash('sha256').update(VERIFIER).digest('base64url')).toBe(CHALLENGE);
    expect(readCodeChallenge(CHALLENGE, 'S256', true)).toBe(CHALLENGE);
    expect(reason(() => readCodeChallenge(CHALLENGE, 'plain', true))).toBe('bad_code_challenge_method');
    expect(reason(() => readCodeChallenge(CHALLENGE, '', true))).toBe('bad_code_challenge_method');
    expect(reason(() => readCodeChallenge('', '', true))).toBe('bad_code_challenge');
    expect(readCodeChallenge('', '', false)).toBe('');
    expect(reason(() => verifyCodeVerifier(CHALLENGE, VERIFIER))).toBe('ok');
    expect(reason(() => verifyCodeVerifier(CHALLENGE, `${VERIFIER.slice(0, -1)}Y`))).toBe('code_verifier_wrong');
    expect(reason(() => verifyCodeVerifier(CHALLENGE, ''))).toBe('code_verifier_missing');
    expect(reason(() => verifyCodeVerifier(CHALLENGE, 'short'))).toBe('code_verifier_malformed');
    expect(reason(() => verifyCodeVerifier('', VERIFIER))).toBe('code_verifier_unexpected');
  });

  it('redirect URIs: the shapes refused, duplicates dropped', () => {
    expect(checkRedirectUris(['https://a.example/cb', 'https://a.example/cb', 'http://[::1]:9/cb'])).toEqual([
      'https://a.example/cb',
      'http://[::1]:9/cb',
    ]);
    for (const bad of ['http://a.example/cb', 'https://a.example/#x', 'cb', 'https://a.example/\tcb', '']) {
      expect(
        reason(() => checkRedirectUris([bad])),
        bad,
      ).toBe('bad_redirect_uris');
    }
  });

  it('single use; a replay revokes the session id the first redemption reserved', async () => {
    const deps = await fakeDeps();
    const code = await issueCode(deps, grant);
    const first = await redeemCode(deps, code);
    expect(first.code).toMatchObject({ clientId: 'c', redirectUri: 'https://a.example/cb', nonce: 'n' });
    expect(await isRevoked(deps, first.sessionId)).toBe(false);
    await expect(redeemCode(deps, code)).rejects.toMatchObject({ reason: 'invalid_grant', detail: 'code_replayed' });
    // Revoked even though no session with that id was stored yet: the grant checks it after starting one.
    expect(await isRevoked(deps, first.sessionId)).toBe(true);
    await expect(redeemCode(deps, 'never-issued')).rejects.toMatchObject({ detail: 'code_unknown' });
  });

  it('expires on the domain clock', async () => {
    const clock = new FakeClock();
    const deps = await fakeDeps({ authorizationCodeTtlSeconds: 60 }, clock);
    const code = await issueCode(deps, grant);
    clock.advance(60_000);
    await expect(redeemCode(deps, code)).rejects.toMatchObject({ reason: 'invalid_grant' });
  });
});
