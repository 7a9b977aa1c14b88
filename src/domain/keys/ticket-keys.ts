// The public keys a client's backend signs custom sign-in tickets with (signin/ticket.ts), as the
// operator registers them. Only public keys are ever accepted: a private key pasted by mistake is
// refused rather than quietly reduced to its public half, so the mistake is noticed (and the
// private key is rotated) instead of lying in a request log. Each kind of key has one algorithm,
// fixed when the key is registered; a ticket signed with another is refused (no algorithm
// confusion).
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { SignetError, invalidArgument } from '../errors.js';
import type { Deps } from '../deps.js';
import { TICKET_KEY_ALGS, type TicketKey, type TicketKeyAlg } from '../model.js';
import { getClient } from '../accounts/admin.js';

/** A kid as other ids: letters, digits, ".", "_" or "-". */
const KID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SPKI_PEM = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\s*$/;
/** JWK members that only a private (or symmetric) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MIN_RSA_BITS = 2048;

export interface TicketKeyInput {
  clientId: string;
  kid: string;
  /** PEM SubjectPublicKeyInfo or a public JWK as JSON text. */
  publicKey: string;
  /** '' takes the key's own algorithm. */
  alg: string;
}

/** Registers a key for the client; already_exists when the client has a key of that kid. */
export async function addTicketKey(deps: Deps, input: TicketKeyInput): Promise<TicketKey> {
  const client = await getClient(deps, input.clientId);
  if (!KID.test(input.kid)) throw invalidArgument('kid', 'letters, digits, ".", "_" or "-", at most 64, starting with a letter or digit');
  const { alg, publicJwk } = readPublicKey(input.publicKey, input.alg);
  const key = await deps.storage.ticketKeys.add({ clientId: client.id, kid: input.kid, alg, publicJwk });
  deps.audit.record({ event: 'ticket_key_added', tenantId: client.tenantId, clientId: client.id, reason: 'admin', detail: key.kid });
  return key;
}

export async function listTicketKeys(deps: Deps, clientId: string): Promise<TicketKey[]> {
  const client = await getClient(deps, clientId);
  return deps.storage.ticketKeys.list(client.id);
}

/** Tickets signed with the key are refused from now on; not_found when there was no such key. */
export async function removeTicketKey(deps: Deps, clientId: string, kid: string): Promise<void> {
  const client = await getClient(deps, clientId);
  if (!(await deps.storage.ticketKeys.remove(client.id, kid))) {
    throw new SignetError('not_found', 'ticket_key_unknown', { metadata: { resource: 'ticket_key' } });
  }
  deps.audit.record({ event: 'ticket_key_removed', tenantId: client.tenantId, clientId: client.id, reason: 'admin', detail: kid });
}

/** The key as it is stored: its algorithm and its public JWK (without kid or alg). */
export function readPublicKey(text: string, requestedAlg: string): { alg: TicketKeyAlg; publicJwk: Record<string, string> } {
  const key = parsePublicKey(text.trim());
  const alg = algorithmOf(key);
  if (requestedAlg && requestedAlg !== alg) {
    throw invalidArgument('alg', `the key is a ${kindOf(key)} key, which signs with ${alg}`);
  }
  const { kty, crv, n, e, x, y } = key.export({ format: 'jwk' }) as JsonWebKey;
  const jwk: Record<string, string | undefined> = { kty, crv, n, e, x, y };
  for (const k of Object.keys(jwk)) if (jwk[k] === undefined) delete jwk[k];
  return { alg, publicJwk: jwk as Record<string, string> };
}

function parsePublicKey(text: string): KeyObject {
  if (text.startsWith('{')) return fromJwk(text);
  if (!SPKI_PEM.test(text)) {
    throw invalidArgument('public_key', 'a PEM public key ("-----BEGIN PUBLIC KEY-----") or a public JWK as JSON');
  }
  try {
    return createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw invalidArgument('public_key', 'the PEM does not hold a readable public key');
  }
}

function fromJwk(text: string): KeyObject {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw invalidArgument('public_key', 'not valid JSON');
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalidArgument('public_key', 'a JWK is a JSON object');
  const members = jwk as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((m) => m in members)) {
    throw invalidArgument('public_key', 'this JWK holds a private or secret key: register the public key only');
  }
  if (typeof members.alg === 'string' && !TICKET_KEY_ALGS.includes(members.alg as TicketKeyAlg)) {
    throw invalidArgument('public_key', `the JWK's alg must be one of ${TICKET_KEY_ALGS.join(', ')}`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: members as JsonWebKey, format: 'jwk' });
  } catch {
    throw invalidArgument('public_key', 'the JWK is not a readable public key');
  }
  if (typeof members.alg === 'string' && members.alg !== algorithmOf(key)) {
    throw invalidArgument('public_key', `the JWK says alg ${members.alg} but is a ${kindOf(key)} key`);
  }
  return key;
}

/** RS256 for RSA of 2048 bits or more, ES256 for P-256, EdDSA for Ed25519; any other key is refused. */
function algorithmOf(key: KeyObject): TicketKeyAlg {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
      if ((details.modulusLength ?? 0) < MIN_RSA_BITS) throw invalidArgument('public_key', `an RSA key needs ${MIN_RSA_BITS} bits or more`);
      return 'RS256';
    case 'ec':
      if (details.namedCurve !== 'prime256v1') throw invalidArgument('public_key', 'an EC key must be on P-256 (ES256)');
      return 'ES256';
    case 'ed25519':
      return 'EdDSA';
    default:
      throw invalidArgument('public_key', 'RSA (RS256), EC P-256 (ES256) or Ed25519 (EdDSA) keys only');
  }
}

function kindOf(key: KeyObject): string {
  const t = key.asymmetricKeyType;
  return t === 'rsa' ? 'RSA' : t === 'ec' ? 'P-256' : t === 'ed25519' ? 'Ed25519' : String(t);
}
