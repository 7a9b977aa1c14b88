// A client's backend, as the tests play it: a key pair whose public half is registered with
// Signet (AddTicketKey), and custom sign-in tickets signed with the private half, with every
// claim overridable so tests can make each kind of bad ticket.
import { randomUUID } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload, type CryptoKey } from 'jose';

export type TicketAlg = 'RS256' | 'ES256' | 'EdDSA';

export interface TicketBackend {
  alg: TicketAlg;
  kid: string;
  /** SubjectPublicKeyInfo PEM. */
  publicPem: string;
  /** The public JWK as JSON text. */
  publicJwk: string;
  /**
   * A ticket for `sub`, issued at `nowMs` (the test's clock), valid 60 s. `claims` replace or
   * add claims (undefined removes one); `header` likewise for the protected header.
   */
  ticket(sub: string, nowMs: number, claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
}

export interface TicketAudience {
  /** The client id (iss). */
  clientId: string;
  /** Signet's issuer (aud). */
  issuer: string;
}

export async function ticketBackend(to: TicketAudience, kid = 'k1', alg: TicketAlg = 'ES256'): Promise<TicketBackend> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return {
    alg,
    kid,
    publicPem: await exportSPKI(publicKey),
    publicJwk: JSON.stringify(await exportJWK(publicKey)),
    ticket: (sub, nowMs, claims = {}, header = {}) => signTicket(privateKey, { alg, kid, ...header }, to, sub, nowMs, claims),
  };
}

async function signTicket(
  key: CryptoKey,
  header: Record<string, unknown>,
  to: TicketAudience,
  sub: string,
  nowMs: number,
  claims: Record<string, unknown>,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const payload: Record<string, unknown> = { iss: to.clientId, aud: to.issuer, sub, iat, exp: iat + 60, jti: randomUUID(), ...claims };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  const h = { ...header } as { alg: string };
  for (const k of Object.keys(h)) if ((h as Record<string, unknown>)[k] === undefined) delete (h as Record<string, unknown>)[k];
  return new SignJWT(payload as JWTPayload).setProtectedHeader(h).sign(key);
}
