// The hosted login page: a browser's first request to the authorization endpoint, without a
// sign-in cookie (GET /oidc/authorize for a first-party public client with PKCE). Every answer
// must be the login page itself (200 with its password form), not an error page or a redirect.
import { CONNECTIONS, DURATION_S, TENANT, WARMUP_S, log } from './env.js';
import { figure, restCfg, serverCfg, type Figure } from './figures.js';
import { restLoad, type Answer, type RestRequest } from './load.js';
import { admin } from './seed.js';
import type { Signet } from './children.js';

const REDIRECT = 'https://app.bench.example/cb';

function loginPage(status: number, body: string): Answer {
  if (status !== 200) return { ok: false, code: String(status) };
  return body.includes('id="pw-form"') ? { ok: true, code: '200 login page' } : { ok: false, code: '200 other page' };
}

/** Signet children given the client already (a figure measured again must not create it twice). */
const seeded = new WeakSet<Signet>();

async function seedPortal(s: Signet): Promise<void> {
  if (seeded.has(s)) return;
  await admin(s, '/admin/v1/clients', {
    client_id: 'portal',
    tenant_id: TENANT,
    name: 'Bench Portal',
    public: true,
    grant_types: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'user', 'profile'],
    redirect_uris: [REDIRECT],
  });
  seeded.add(s);
}

export async function loginPageRest(s: Signet): Promise<Figure> {
  await seedPortal(s);
  const query = new URLSearchParams({
    client_id: 'portal',
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid profile',
    state: 'bench-state',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  });
  const req = (): RestRequest => ({ method: 'GET', path: `/oidc/authorize?${query}`, headers: {}, answer: loginPage });
  log(`login_page_rest: ${CONNECTIONS} connections, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await restLoad(s.http, WARMUP_S, CONNECTIONS, req, s.child.pid);
  const r = await restLoad(s.http, DURATION_S, CONNECTIONS, req, s.child.pid);
  return figure(
    r,
    restCfg({ request: `GET /oidc/authorize (no cookie: the login page), ${query.toString().length} B query`, ...serverCfg() }),
    {
      warmup: { ok: warm.ok, errors: warm.errors },
    },
  );
}
