// Client authentication and what a client may ask for (RFC 6749 sections 2.3 and 3.3).
import { SignetError } from '../errors.js';
import type { Client, Tenant } from '../model.js';
import { safeEqual, sha256Hex } from '../crypto/secrets.js';
import type { Directory } from './directory.js';
import type { Admission } from '../defence/request-checks.js';
import type { ClientCredentials } from '../commands.js';

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
  if (!creds.clientId)
    throw new SignetError('invalid_client', 'client_id_missing', {
      fieldViolations: [{ field: 'client_id', description: 'client_id is required' }],
    });
  admission?.refuseKnownLimits();
  const client = await directory.client(creds.clientId, admission?.limits);
  if (!client) throw new SignetError('invalid_client', 'client_unknown');
  if (client.status !== 'enabled') throw new SignetError('invalid_client', 'client_disabled');
  const secretGiven = creds.clientSecret !== '';
  if (client.type === 'confidential' && (requireSecret || secretGiven)) {
    const ok = client.secretHash !== null && safeEqual(sha256Hex(creds.clientSecret), client.secretHash);
    if (!ok) throw new SignetError('unauthorized_client', secretGiven ? 'client_secret_wrong' : 'client_secret_missing');
  }
  const tenant = await directory.tenant(client.tenantId);
  if (!tenant) throw new SignetError('invalid_client', 'tenant_unknown', { message: 'invalid_client.tenant_invalid' });
  if (tenant.status !== 'enabled') throw new SignetError('tenant_disabled', 'tenant_disabled');
  return { client, tenant };
}

export function requireGrant(client: Client, grant: string): void {
  if (!client.grantTypes.includes(grant))
    throw new SignetError('permission_denied', 'grant_not_allowed', { metadata: { grant_type: grant } });
}

/** What a grant requires of the client, checked once at the endpoint. */
export function authorizeClient(cc: ClientContext, grant: { clientGrant: string; signsInUsers: boolean; confidentialOnly: boolean }): void {
  if (grant.confidentialOnly && cc.client.type !== 'confidential') {
    throw new SignetError('unauthorized_client', 'client_not_confidential', { metadata: { grant_type: grant.clientGrant } });
  }
  requireGrant(cc.client, grant.clientGrant);
  if (grant.signsInUsers) requireUserScope(cc);
}

/** Signing users in is a permission of the client: the `user` scope. */
export function requireUserScope(cc: ClientContext): void {
  if (!cc.client.scopes.includes('user')) {
    throw new SignetError('permission_denied', 'user_scope_missing', { metadata: { scope: 'user' } });
  }
}

/** The scopes granted: the requested ones, which must all be allowed, or all of the client's. */
export function grantScope(client: Client, requested: string): string[] {
  const asked = requested.split(/\s+/).filter(Boolean);
  if (asked.length === 0) return client.scopes;
  const refused = asked.filter((s) => !client.scopes.includes(s));
  if (refused.length > 0) throw new SignetError('invalid_scope', 'scope_not_allowed', { metadata: { scope: refused.join(' ') } });
  return asked;
}
