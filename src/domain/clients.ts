// Client authentication and what a client may ask for (RFC 6749 sections 2.3 and 3.3).
import { SignetError } from './errors.js';
import type { Client, Tenant } from './model.js';
import { safeEqual, sha256Hex } from './crypto/secrets.js';
import type { Directory } from './directory.js';
import type { Admission } from './defence/ratelimit.js';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/**
 * Client id and secret from the request fields or from HTTP Basic in the authorization
 * metadata (RFC 6749 2.3.1: both parts are form-urlencoded). The fields win.
 */
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
  return { clientId, clientSecret };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export interface ClientContext {
  client: Client;
  tenant: Tenant;
}

/**
 * Resolves the client and its tenant. `requireSecret`: a confidential client must prove its
 * secret (token endpoint); browser sign-in only names the client. `admission`: the request's
 * rate limits, not run yet; a client not in the cache is read from the database only once they
 * have passed, so a flood of unknown client ids is limited before it costs queries.
 */
export async function authenticateClient(
  directory: Directory,
  creds: ClientCredentials,
  requireSecret: boolean,
  admission?: Admission,
): Promise<ClientContext> {
  if (!creds.clientId) throw new SignetError('invalid_client', { fieldViolations: [{ field: 'client_id', description: 'client_id is required' }] });
  admission?.refuseKnownLimits();
  const client = await directory.client(creds.clientId, admission?.limits);
  if (!client || client.status !== 'enabled') throw new SignetError('invalid_client');
  const secretGiven = creds.clientSecret !== '';
  if (client.type === 'confidential' && (requireSecret || secretGiven)) {
    const ok = client.secretHash !== null && safeEqual(sha256Hex(creds.clientSecret), client.secretHash);
    if (!ok) throw new SignetError('unauthorized_client');
  }
  const tenant = await directory.tenant(client.tenantId);
  if (!tenant) throw new SignetError('invalid_client', { message: 'invalid_client.tenant_invalid' });
  if (tenant.status !== 'enabled') throw new SignetError('tenant_disabled');
  return { client, tenant };
}

export function requireGrant(client: Client, grant: string): void {
  if (!client.grantTypes.includes(grant)) throw new SignetError('permission_denied', { metadata: { grant_type: grant } });
}

/** The scopes granted: the requested ones, which must all be allowed, or all of the client's. */
export function grantScope(client: Client, requested: string): string[] {
  const asked = requested.split(/\s+/).filter(Boolean);
  if (asked.length === 0) return client.scopes;
  const refused = asked.filter((s) => !client.scopes.includes(s));
  if (refused.length > 0) throw new SignetError('invalid_scope', { metadata: { scope: refused.join(' ') } });
  return asked;
}
