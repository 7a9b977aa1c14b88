// Token introspection figures (RFC 7662): a resource server (the confidential client `svc`,
// client_secret_basic) introspecting a pool of valid user access tokens, one session each, over
// REST (form body, as resource servers send it) and gRPC. Every answer must say active: true.
import * as grpc from '@grpc/grpc-js';
import type { AuthServiceClient } from '../src/gen/signet/auth/v1/auth_service.js';
import { IntrospectRequest, type IntrospectResponse } from '../src/gen/signet/auth/v1/token.js';
import { CONNECTIONS, DURATION_S, PASSWORD, WARMUP_S, log } from './env.js';
import { figure, grpcCfg, restCfg, serverCfg, type Figure } from './figures.js';
import { closedLoop, restLoad, type Answer, type OpResult, type RestRequest } from './load.js';
import { grpcCode, httpJson, pool } from './net.js';
import { createUser, type Seed } from './seed.js';
import type { Signet } from './children.js';

const SESSIONS_PER_USER = 8;

/** Access tokens of distinct sessions (distinct x-device-id), SESSIONS_PER_USER per user. */
let pools = 0;
async function accessTokens(s: Signet, n: number): Promise<string[]> {
  const set = ++pools;
  const users = Array.from({ length: Math.ceil(n / SESSIONS_PER_USER) }, (_, k) => `bench-introspect${set}-${k}`);
  await pool(users, 4, (u) => createUser(s, u));
  const tokens: string[] = new Array(n);
  // Sign-ins of one account one at a time (lockout and captcha count concurrent attempts).
  await pool(users, 8, async (user, k) => {
    for (let j = 0; j < SESSIONS_PER_USER; j++) {
      const i = k * SESSIONS_PER_USER + j;
      if (i >= n) break;
      const r = await httpJson(`${s.http}/auth/v1/signin?client_id=web`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-device-id': `introspect-${set}-${i}` },
        body: JSON.stringify({ username: user, password: PASSWORD }),
      });
      if (r.status !== 200 || !r.body?.access_token)
        throw new Error(`sign-in for introspection pool ${i}: ${r.status} ${r.text.slice(0, 300)}`);
      tokens[i] = r.body.access_token;
    }
  });
  return tokens;
}

/** Success is an active token, not merely a 200 (an inactive answer is a 200 too). */
function activeAnswer(status: number, body: string): Answer {
  if (status !== 200) return { ok: false, code: String(status) };
  try {
    return JSON.parse(body).active === true ? { ok: true, code: '200 active' } : { ok: false, code: '200 inactive' };
  } catch {
    return { ok: false, code: '200 unparsable' };
  }
}

export async function introspectRest(s: Signet, seedInfo: Seed): Promise<Figure> {
  const tokens = await accessTokens(s, 2 * CONNECTIONS);
  const req =
    (set: string[]) =>
    (i: number): RestRequest => ({
      method: 'POST',
      path: '/auth/v1/introspect',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: seedInfo.basic },
      body: new URLSearchParams({ token: set[i % set.length], token_type_hint: 'access_token' }).toString(),
      answer: activeAnswer,
    });
  const first = req(tokens)(0);
  const pre = await httpJson(s.http + first.path, { method: 'POST', headers: first.headers, body: first.body });
  log(`introspect_rest: ${CONNECTIONS} connections over ${tokens.length} tokens, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await restLoad(s.http, WARMUP_S, CONNECTIONS, req(tokens.slice(0, CONNECTIONS)), s.child.pid);
  const r = await restLoad(s.http, DURATION_S, CONNECTIONS, req(tokens.slice(CONNECTIONS)), s.child.pid);
  return figure(
    r,
    restCfg({
      request: 'POST /auth/v1/introspect token=<user access token>&token_type_hint=access_token (form), client_secret_basic (svc)',
      tokens: tokens.length,
      ...serverCfg(),
    }),
    {
      warmup: { ok: warm.ok, errors: warm.errors },
      preflight: { status: pre.status, active: pre.body?.active ?? null, token_type: pre.body?.token_type ?? null },
    },
  );
}

function introspectCall(client: AuthServiceClient, req: IntrospectRequest, md: grpc.Metadata) {
  return new Promise<{ err: grpc.ServiceError | null; res?: IntrospectResponse }>((resolve) => {
    client.introspect(req, md, { deadline: Date.now() + 10_000 }, (err, res) => resolve({ err, res }));
  });
}

export async function introspectGrpc(s: Signet, clients: AuthServiceClient[], seedInfo: Seed): Promise<Figure> {
  const tokens = await accessTokens(s, 2 * CONNECTIONS);
  const md = new grpc.Metadata();
  md.set('authorization', seedInfo.basic);
  const msgs = tokens.map((token) => IntrospectRequest.fromPartial({ token, token_type_hint: 'access_token' }));
  const opFor =
    (set: IntrospectRequest[]) =>
    async (w: number): Promise<OpResult> => {
      const { err, res } = await introspectCall(clients[w % clients.length], set[w % set.length], md);
      if (err) return { ok: false, code: grpcCode(err), detail: err.details };
      return res?.active ? { ok: true } : { ok: false, code: 'INACTIVE' };
    };
  const pre = await introspectCall(clients[0], msgs[0], md);
  log(`introspect_grpc: ${CONNECTIONS} in flight over ${tokens.length} tokens, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await closedLoop(CONNECTIONS, WARMUP_S, opFor(msgs.slice(0, CONNECTIONS)), s.child.pid);
  const r = await closedLoop(CONNECTIONS, DURATION_S, opFor(msgs.slice(CONNECTIONS)), s.child.pid);
  return figure(
    r,
    grpcCfg({
      request: 'AuthService.Introspect {token:<user access token>,token_type_hint:access_token}, authorization: Basic metadata (svc)',
      tokens: tokens.length,
      ...serverCfg(),
    }),
    {
      warmup: { ok: warm.ok, errors: warm.errors },
      preflight: pre.err ? { ok: false, code: grpcCode(pre.err), detail: pre.err.details } : { active: pre.res?.active ?? null },
    },
  );
}
