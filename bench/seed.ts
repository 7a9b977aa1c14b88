// Seeding through the admin REST API of a Signet child: tenants (with their policies), clients,
// users, and refresh-token chains.
import { ADMIN_TOKEN, CONNECTIONS, MAX_SESSIONS, PASSWORD, TENANT } from './env.js';
import type { Signet } from './children.js';
import { httpJson, pool } from './net.js';

export async function admin(s: Signet, p: string, body: unknown) {
  const r = await httpJson(s.admin + p, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 200) throw new Error(`admin ${p} -> ${r.status}: ${r.text.slice(0, 500)}`);
  return r.body;
}

export interface Seed {
  svcSecret: string;
  basic: string;
}

export async function seed(s: Signet): Promise<Seed> {
  await admin(s, '/admin/v1/tenants', { tenant_id: TENANT, name: 'Bench' });
  await admin(s, '/admin/v1/clients', {
    client_id: 'web',
    tenant_id: TENANT,
    public: true,
    grant_types: ['password', 'refresh_token'],
    scopes: ['openid', 'user'],
    max_sessions: MAX_SESSIONS,
  });
  const svc = await admin(s, '/admin/v1/clients', {
    client_id: 'svc',
    tenant_id: TENANT,
    public: false,
    grant_types: ['client_credentials'],
    scopes: ['orders.read'],
  });
  const svcSecret = svc.client_secret as string;
  if (!svcSecret) throw new Error(`no client_secret in ${JSON.stringify(svc)}`);
  await pool(
    Array.from({ length: CONNECTIONS }, (_, i) => signinUser(i)),
    4,
    (u) => createUser(s, u),
  );
  return { svcSecret, basic: `Basic ${Buffer.from(`svc:${svcSecret}`).toString('base64')}` };
}

export const signinUser = (i: number) => `bench-signin-${i % CONNECTIONS}`;

export async function createUser(s: Signet, username: string, tenant = TENANT) {
  await admin(s, '/admin/v1/users', { tenant_id: tenant, username, password: PASSWORD, name: username });
}

/**
 * A tenant with its own policy and one public password client configured like `web` (same
 * scopes, grants and session limit), so that only the policy differs.
 */
export async function tenantWithClient(s: Signet, tenantId: string, policy: Record<string, unknown>): Promise<string> {
  await admin(s, '/admin/v1/tenants', { tenant_id: tenantId, name: tenantId, policy });
  const clientId = `${tenantId}-web`;
  await admin(s, '/admin/v1/clients', {
    client_id: clientId,
    tenant_id: tenantId,
    public: true,
    grant_types: ['password', 'refresh_token'],
    scopes: ['openid', 'user'],
    max_sessions: MAX_SESSIONS,
  });
  return clientId;
}

/**
 * Sign-ins of one account are kept one at a time: concurrent attempts on one account count
 * against its lockout and captcha thresholds (a real deployment's load is many users, not one
 * user 32 times), so every connection signs in its own user and chain sessions are created per
 * user in sequence.
 */
const CHAINS_PER_USER = 8;

/** Refresh-token chains: one session each (distinct x-device-id), CHAINS_PER_USER per user. */
let chainSets = 0;
export async function makeChains(s: Signet, label: string, n: number): Promise<Array<{ token: string }>> {
  const set = ++chainSets; // measuring again makes new users, never reuses one
  const users = Array.from({ length: Math.ceil(n / CHAINS_PER_USER) }, (_, k) => `bench-${label}${set}-${k}`);
  await pool(users, 4, (u) => createUser(s, u));
  const chains: Array<{ token: string }> = new Array(n);
  await pool(users, 8, async (user, k) => {
    for (let j = 0; j < CHAINS_PER_USER; j++) {
      const i = k * CHAINS_PER_USER + j;
      if (i >= n) break;
      const r = await httpJson(`${s.http}/auth/v1/signin?client_id=web`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-device-id': `${label}-${i}` },
        body: JSON.stringify({ username: user, password: PASSWORD }),
      });
      if (r.status !== 200 || !r.body?.refresh_token)
        throw new Error(`sign-in for chain ${label}-${i}: ${r.status} ${r.text.slice(0, 300)}`);
      chains[i] = { token: r.body.refresh_token };
    }
  });
  return chains;
}
