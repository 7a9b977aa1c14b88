// Sign-ups per second over REST and gRPC: each one a new account, so each costs one argon2id hash
// (the same work as a verify), one INSERT and a session. Judged against the argon2 ceiling of the
// same run, as sign-in is.
import type { AuthServiceClient } from '../src/gen/signet/auth/v1/auth_service.js';
import { SignUpRequest } from '../src/gen/signet/auth/v1/account.js';
import { CONNECTIONS, DURATION_S, PASSWORD, RUN_ID, WARMUP_S, log } from './env.js';
import { figure, grpcCfg, restCfg, serverCfg, type Figure } from './figures.js';
import { closedLoop, restLoad, type OpResult, type RestRequest } from './load.js';
import { describeToken, grpcCode, grpcUnary, httpJson } from './net.js';
import { admin } from './seed.js';
import type { Signet } from './children.js';

export const SIGNUP_TENANT = 'bench-signup';
const SIGNUP_CLIENT = 'bench-signup-web';

/** A tenant open to username sign-ups, and its public client. */
export async function seedSignup(s: Signet): Promise<void> {
  await admin(s, '/admin/v1/tenants', { tenant_id: SIGNUP_TENANT, name: 'Bench sign-up', policy: { sign_up_enabled: true } });
  await admin(s, '/admin/v1/clients', {
    client_id: SIGNUP_CLIENT,
    tenant_id: SIGNUP_TENANT,
    public: true,
    grant_types: ['password', 'refresh_token'],
    scopes: ['openid', 'user'],
  });
}

/** Never the same username twice, across the REST and gRPC figures and their warm-ups. */
let serial = 0;
const nextUsername = (dialect: string) => `su-${RUN_ID}-${dialect}-${serial++}`;

export async function signupRest(s: Signet): Promise<Figure> {
  const path = `/auth/v1/signup?client_id=${SIGNUP_CLIENT}`;
  const body = () => JSON.stringify({ username: nextUsername('r'), password: PASSWORD });
  const req = (): RestRequest => ({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: body(), nextBody: body });
  const first = req();
  const pre = await httpJson(s.http + path, { method: 'POST', headers: first.headers, body: first.body });
  log(`signup_rest: ${CONNECTIONS} connections, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await restLoad(s.http, WARMUP_S, CONNECTIONS, req, s.child.pid);
  const r = await restLoad(s.http, DURATION_S, CONNECTIONS, req, s.child.pid);
  return figure(r, restCfg({ request: `POST ${path} {username (new each time), password}`, ...serverCfg() }), {
    warmup: { ok: warm.ok, errors: warm.errors },
    preflight: describeToken(pre.status, pre.body),
  });
}

export async function signupGrpc(s: Signet, clients: AuthServiceClient[]): Promise<Figure> {
  const msg = () => SignUpRequest.fromPartial({ username: nextUsername('g'), password: PASSWORD, client_id: SIGNUP_CLIENT });
  const op = async (w: number): Promise<OpResult> => {
    const { err } = await grpcUnary(clients[w % clients.length], 'signUp', msg());
    return err ? { ok: false, code: grpcCode(err), detail: err.details } : { ok: true };
  };
  const pre = await grpcUnary(clients[0], 'signUp', msg());
  log(`signup_grpc: ${CONNECTIONS} in flight, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await closedLoop(CONNECTIONS, WARMUP_S, op, s.child.pid);
  const r = await closedLoop(CONNECTIONS, DURATION_S, op, s.child.pid);
  return figure(
    r,
    grpcCfg({ request: `AuthService.SignUp {username (new each time), password, client_id:${SIGNUP_CLIENT}}`, ...serverCfg() }),
    {
      warmup: { ok: warm.ok, errors: warm.errors },
      preflight: pre.err ? { ok: false, code: grpcCode(pre.err), detail: pre.err.details } : describeToken(200, pre.res),
    },
  );
}
