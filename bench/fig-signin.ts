// Sign-in figures and the bound they are judged against: the raw argon2id verify rate of this
// machine (the ceiling), and successful password sign-ins over REST and gRPC.
import { cpus } from 'node:os';
import { Algorithm, hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import type { AuthServiceClient } from '../src/gen/signet/auth/v1/auth_service.js';
import { SignInRequest } from '../src/gen/signet/auth/v1/token.js';
import { ARGON2, ARGON2_CONCURRENCY, ARGON2_S, CONNECTIONS, DURATION_S, PASSWORD, UV_THREADPOOL_SIZE, WARMUP_S, log } from './env.js';
import { figure, grpcCfg, restCfg, serverCfg, type Figure } from './figures.js';
import { closedLoop, restLoad, type OpResult, type RestRequest } from './load.js';
import { describeToken, grpcCode, grpcUnary, httpJson } from './net.js';
import { signinUser } from './seed.js';
import type { Signet } from './children.js';

export async function argon2Ceiling(): Promise<Figure> {
  log(
    `argon2id verify ceiling: m=${ARGON2.memoryCost} KiB t=${ARGON2.timeCost} p=${ARGON2.parallelism}, concurrency ${ARGON2_CONCURRENCY}, ${ARGON2_S} s`,
  );
  const stored = await argonHash(PASSWORD, { algorithm: Algorithm.Argon2id, ...ARGON2 });
  const op = async (): Promise<OpResult> => ((await argonVerify(stored, PASSWORD)) ? { ok: true } : { ok: false, code: 'MISMATCH' });
  const warm = await closedLoop(ARGON2_CONCURRENCY, WARMUP_S, op);
  const r = await closedLoop(ARGON2_CONCURRENCY, ARGON2_S, op);
  return figure(
    r,
    {
      library: '@node-rs/argon2 verify',
      algorithm: 'argon2id',
      memory_kib: ARGON2.memoryCost,
      iterations: ARGON2.timeCost,
      parallelism: ARGON2.parallelism,
      concurrency: ARGON2_CONCURRENCY,
      uv_threadpool_size: UV_THREADPOOL_SIZE,
      cpus: cpus().length,
      warmup_s: WARMUP_S,
      duration_s: ARGON2_S,
      process: 'bench parent (nothing else running)',
    },
    { warmup: { ok: warm.ok, errors: warm.errors } },
  );
}

export async function signinRest(s: Signet): Promise<Figure> {
  const req = (i: number): RestRequest => ({
    method: 'POST',
    path: '/auth/v1/signin?client_id=web',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: signinUser(i), password: PASSWORD }),
  });
  const pre = await httpJson(s.http + req(0).path, { method: 'POST', headers: req(0).headers, body: req(0).body });
  log(`signin_rest: ${CONNECTIONS} connections, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await restLoad(s.http, WARMUP_S, CONNECTIONS, req, s.child.pid);
  const r = await restLoad(s.http, DURATION_S, CONNECTIONS, req, s.child.pid);
  return figure(
    r,
    restCfg({
      request: 'POST /auth/v1/signin?client_id=web {username,password}',
      users: `${CONNECTIONS}, one per connection`,
      ...serverCfg(),
    }),
    {
      warmup: { ok: warm.ok, errors: warm.errors },
      preflight: describeToken(pre.status, pre.body),
    },
  );
}

export async function signinGrpc(s: Signet, clients: AuthServiceClient[]): Promise<Figure> {
  const msgs = Array.from({ length: CONNECTIONS }, (_, i) =>
    SignInRequest.fromPartial({ username: signinUser(i), password: PASSWORD, client_id: 'web' }),
  );
  const op = async (w: number): Promise<OpResult> => {
    const { err } = await grpcUnary(clients[w % clients.length], 'signIn', msgs[w % msgs.length]);
    return err ? { ok: false, code: grpcCode(err), detail: err.details } : { ok: true };
  };
  const pre = await grpcUnary(clients[0], 'signIn', msgs[0]);
  log(`signin_grpc: ${CONNECTIONS} in flight, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await closedLoop(CONNECTIONS, WARMUP_S, op, s.child.pid);
  const r = await closedLoop(CONNECTIONS, DURATION_S, op, s.child.pid);
  return figure(
    r,
    grpcCfg({
      request: 'AuthService.SignIn {username,password,client_id:web}',
      users: `${CONNECTIONS}, one per in-flight caller`,
      ...serverCfg(),
    }),
    {
      warmup: { ok: warm.ok, errors: warm.errors },
      preflight: pre.err ? { ok: false, code: grpcCode(pre.err), detail: pre.err.details } : describeToken(200, pre.res),
    },
  );
}
