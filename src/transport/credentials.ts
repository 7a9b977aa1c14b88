// The client of a request as the wire carries it: client_id / client_secret fields (body or
// query) and HTTP Basic in the authorization metadata (RFC 6749 2.3.1: both parts are
// form-urlencoded). Reconciled here, so the domain sees one ClientCredentials.
import type { ClientCredentials } from '../domain/commands.js';
import { invalidArgument } from '../domain/errors.js';
import { plain } from './line.js';

/** HTTP Basic's client id and secret, each form-urlencoded before base64 (RFC 6749 2.3.1). */
export function basicCredentials(authorization: string | undefined): ClientCredentials | undefined {
  if (!authorization || !/^basic /i.test(authorization)) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { clientId: safeDecode(decoded.slice(0, colon)), clientSecret: safeDecode(decoded.slice(colon + 1)) };
}

/**
 * The client of a request: client_id / client_secret (client_secret_post), HTTP Basic
 * (client_secret_basic), or both when they agree. Two different client ids or secrets in one
 * request are refused rather than one picked. A Basic secret counts for the Basic client only.
 */
export function readClientCredentials(
  fields: { client_id?: string; client_secret?: string },
  authorization: string | undefined,
): ClientCredentials {
  const clientId = fields.client_id ?? '';
  const clientSecret = fields.client_secret ?? '';
  const basic = basicCredentials(authorization);
  if (!basic) return { clientId: plain(clientId, 'client_id'), clientSecret };
  if (clientId && clientId !== basic.clientId) throw invalidArgument('client_id', 'differs from the client of HTTP Basic');
  if (clientSecret && basic.clientSecret && clientSecret !== basic.clientSecret) {
    throw invalidArgument('client_secret', 'differs from the secret of HTTP Basic');
  }
  return { clientId: plain(basic.clientId, 'client_id'), clientSecret: clientSecret || basic.clientSecret };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * The access token of `Authorization: Bearer <token>`, '' when there is none; a malformed
 * header counts as none, which the domain answers as unauthenticated where a token is needed.
 */
export function bearerOf(authorization: string | undefined): string {
  return /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? '';
}
