// The client of a request as the wire carries it: client_id / client_secret fields (body or
// query) and HTTP Basic in the authorization metadata (RFC 6749 2.3.1: both parts are
// form-urlencoded). Reconciled here, so the domain sees one ClientCredentials.
import type { ClientCredentials } from '../domain/commands.js';
import { plain } from './line.js';

/** The fields win over HTTP Basic; a Basic secret counts only for the same client id. */
export function readClientCredentials(
  fields: { client_id?: string; client_secret?: string },
  authorization: string | undefined,
): ClientCredentials {
  let clientId = fields.client_id ?? '';
  let clientSecret = fields.client_secret ?? '';
  if (authorization && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      const id = safeDecode(decoded.slice(0, colon));
      const secret = safeDecode(decoded.slice(colon + 1));
      if (!clientId) clientId = id;
      if (!clientSecret && id === clientId) clientSecret = secret;
    }
  }
  return { clientId: plain(clientId, 'client_id'), clientSecret };
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
