// Authorization codes (RFC 6749 4.1, PKCE RFC 7636): short-lived, single-use, kept only by their
// SHA-256 in the shared store with what they were issued for. Redeeming one takes it (GETDEL) and
// leaves a "spent" marker naming the session the redemption starts, so that the same code
// presented again ends that session (RFC 6749 4.1.2: "SHOULD revoke all tokens previously issued
// based on that authorization code") and is refused.
import { createHash, randomUUID } from 'node:crypto';
import type { Deps } from '../deps.js';
import { SignetError, invalidArgument } from '../errors.js';
import { randomToken, safeEqual, sha256Hex } from '../crypto/secrets.js';
import { revokeSession } from '../sessions/revocation.js';

/** The grant type (RFC 6749 4.1.3). */
export const AUTHORIZATION_CODE = 'authorization_code';

const CODE = 'authcode';
const SPENT = 'authcode-spent';
/**
 * How long a spent code is remembered. Longer than any code lives, so a code stolen and replayed
 * after its legitimate redemption still ends what it issued; the marker is tiny.
 */
export const SPENT_MARKER_SECONDS = 3600;

/** PKCE: the only method accepted ("plain" protects nothing a TLS-stripping attacker can't read). */
export const CODE_CHALLENGE_METHODS = ['S256'] as const;
/** BASE64URL(SHA-256(verifier)): always 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export interface AuthorizationCode {
  tenantId: string;
  clientId: string;
  userId: string;
  /** The session the user authorized from (null when none, e.g. a later hosted sign-in page). */
  sessionId: string | null;
  redirectUri: string;
  scope: string[];
  nonce: string;
  /** S256 challenge; '' when the (confidential) client sent none. */
  codeChallenge: string;
  /** When the user authenticated, epoch ms (the id_token's auth_time). */
  authTime: number;
  /**
   * How the user authenticated (the id_token's amr): the authorizing session's. Absent from a
   * code issued by a release before amr, which is redeemed with none.
   */
  amr: string[];
  /** Epoch ms, on the domain's clock (the store's TTL is the backstop). */
  expiresAt: number;
}

export type CodeGrant = Omit<AuthorizationCode, 'expiresAt'>;

/**
 * Reads the PKCE parameters of an authorization request: the challenge ('' for none) or
 * invalid_argument. A public client must send one (OAuth 2.0 Security BCP 2.1.1).
 */
export function readCodeChallenge(challenge: string, method: string, publicClient: boolean): string {
  if (!challenge) {
    if (method) throw invalidArgument('code_challenge', 'code_challenge_method without a code_challenge');
    if (publicClient) throw invalidArgument('code_challenge', 'a public client must use PKCE (code_challenge with S256)');
    return '';
  }
  // RFC 7636 4.3: an absent method means "plain", which is refused like a named one.
  if (method !== 'S256') throw invalidArgument('code_challenge_method', 'only S256 is supported');
  if (!S256_CHALLENGE.test(challenge)) throw invalidArgument('code_challenge', 'an S256 challenge is 43 base64url characters');
  return challenge;
}

/** Issues a code for the grant; returns the code (only its digest is kept). */
export async function issueCode(deps: Deps, grant: CodeGrant): Promise<string> {
  const code = randomToken(32);
  const ttl = deps.settings.authorizationCodeTtlSeconds;
  const stored: AuthorizationCode = { ...grant, expiresAt: deps.clock.now() + ttl * 1000 };
  await deps.stores.oneTime.save(CODE, sha256Hex(code), JSON.stringify(stored), ttl);
  return code;
}

export interface Redemption {
  code: AuthorizationCode;
  /** The id the session started by this redemption must have: a replay of the code revokes it. */
  sessionId: string;
}

/**
 * Takes the code. Unknown: invalid_grant. Spent: the session its redemption started is revoked,
 * then invalid_grant. Whatever the redemption does next, the code is spent from here on.
 */
export async function redeemCode(deps: Deps, code: string): Promise<Redemption> {
  if (!code) throw invalidArgument('code', 'code is required');
  const digest = sha256Hex(code);
  const raw = await deps.stores.oneTime.take(CODE, digest);
  if (raw === null) return refuseSpent(deps, digest);
  const sessionId = randomUUID();
  // Written before anything else can fail or a session exists: a replay racing this redemption
  // finds it and revokes the session id, which the redemption checks after starting it.
  await deps.stores.oneTime.save(SPENT, digest, JSON.stringify({ sessionId }), SPENT_MARKER_SECONDS);
  const stored = JSON.parse(raw) as AuthorizationCode;
  if (stored.expiresAt <= deps.clock.now()) throw new SignetError('invalid_grant', 'code_expired');
  return { code: stored, sessionId };
}

async function refuseSpent(deps: Deps, digest: string): Promise<never> {
  const spent = await deps.stores.oneTime.take(SPENT, digest);
  if (spent === null) throw new SignetError('invalid_grant', 'code_unknown');
  const { sessionId } = JSON.parse(spent) as { sessionId: string };
  const live = await revokeSession(deps, sessionId, 'authorization_code_replay');
  deps.log.warn({ sessionId, live }, 'authorization code replayed; the session it issued is revoked');
  throw new SignetError('invalid_grant', 'code_replayed');
}

/**
 * RFC 7636 4.6: the verifier must hash to the challenge. A verifier for a code issued without a
 * challenge is refused too (a PKCE downgrade, OAuth 2.0 Security BCP 4.8.2).
 */
export function verifyCodeVerifier(challenge: string, verifier: string): void {
  if (!challenge) {
    if (verifier) throw new SignetError('invalid_grant', 'code_verifier_unexpected');
    return;
  }
  if (!verifier) throw new SignetError('invalid_grant', 'code_verifier_missing');
  if (!VERIFIER.test(verifier)) throw new SignetError('invalid_grant', 'code_verifier_malformed');
  const computed = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  if (!safeEqual(computed, challenge)) throw new SignetError('invalid_grant', 'code_verifier_wrong');
}
