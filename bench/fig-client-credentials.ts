// client_credentials figures: Signet over REST and gRPC, and the reference they are judged
// against, node-oidc-provider 9 issuing ES256 JWTs in its own child (oidc-server.ts).
import * as grpc from '@grpc/grpc-js';
import type { AuthServiceClient } from '../src/gen/signet/auth/v1/auth_service.js';
import { TokenRequest } from '../src/gen/signet/auth/v1/token.js';
import { CONNECTIONS, DURATION_S, OIDC_CLIENT_SECRET, WARMUP_S, env, log, round } from './env.js';
import { figure, grpcCfg, restCfg, serverCfg, type Figure } from './figures.js';
import { closedLoop, restLoad, type OpResult, type RestRequest } from './load.js';
import { procStatusKb } from './machine.js';
import { describeToken, grpcCode, grpcUnary, httpJson } from './net.js';
import { spawnServer, stopChild, type Signet } from './children.js';
import type { Seed } from './seed.js';

export async function ccRest(s: Signet, seedInfo: Seed): Promise<Figure> {
  const req = (): RestRequest => ({
    method: 'POST',
    path: '/auth/v1/token',
    headers: { 'content-type': 'application/json', authorization: seedInfo.basic },
    body: JSON.stringify({ grant_type: 'client_credentials', scope: 'orders.read' }),
  });
  const pre = await httpJson(s.http + req().path, { method: 'POST', headers: req().headers, body: req().body });
  log(`client_credentials_rest: ${CONNECTIONS} connections, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await restLoad(s.http, WARMUP_S, CONNECTIONS, req, s.child.pid);
  const r = await restLoad(s.http, DURATION_S, CONNECTIONS, req, s.child.pid);
  return figure(
    r,
    restCfg({ request: 'POST /auth/v1/token {grant_type:client_credentials,scope:orders.read}, client_secret_basic', ...serverCfg() }),
    {
      warmup: { ok: warm.ok, errors: warm.errors },
      preflight: describeToken(pre.status, pre.body),
    },
  );
}

export async function ccGrpc(s: Signet, clients: AuthServiceClient[], seedInfo: Seed): Promise<Figure> {
  const msg = TokenRequest.fromPartial({ grant_type: 'client_credentials', scope: 'orders.read' });
  const md = () => {
    const m = new grpc.Metadata();
    m.set('authorization', seedInfo.basic);
    return m;
  };
  const op = async (w: number): Promise<OpResult> => {
    const { err } = await grpcUnary(clients[w % clients.length], 'token', msg, md());
    return err ? { ok: false, code: grpcCode(err), detail: err.details } : { ok: true };
  };
  const pre = await grpcUnary(clients[0], 'token', msg, md());
  log(`client_credentials_grpc: ${CONNECTIONS} in flight, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await closedLoop(CONNECTIONS, WARMUP_S, op, s.child.pid);
  const r = await closedLoop(CONNECTIONS, DURATION_S, op, s.child.pid);
  return figure(
    r,
    grpcCfg({
      request: 'AuthService.Token {grant_type:client_credentials,scope:orders.read}, authorization: Basic metadata',
      ...serverCfg(),
    }),
    {
      warmup: { ok: warm.ok, errors: warm.errors },
      preflight: pre.err ? { ok: false, code: grpcCode(pre.err), detail: pre.err.details } : describeToken(200, pre.res),
    },
  );
}

export async function oidcReference(): Promise<Figure> {
  const childEnv: NodeJS.ProcessEnv = {
    ...env,
    BENCH_OIDC_CLIENT_ID: 'svc',
    BENCH_OIDC_CLIENT_SECRET: OIDC_CLIENT_SECRET,
    NODE_ENV: 'production',
  };
  // The reference stays a TypeScript file under tsx (its code is oidc-provider's JavaScript).
  const child = await spawnServer('oidc-server.ts', childEnv, 'oidc-provider', ['--import', 'tsx']);
  try {
    const base = `http://127.0.0.1:${child.ready.port}`;
    const basic = `Basic ${Buffer.from(`svc:${OIDC_CLIENT_SECRET}`).toString('base64')}`;
    const req = (): RestRequest => ({
      method: 'POST',
      path: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
      body: 'grant_type=client_credentials&scope=orders.read',
    });
    const pre = await httpJson(`${base}/token`, { method: 'POST', headers: req().headers, body: req().body });
    log(`reference oidc-provider client_credentials: ${CONNECTIONS} connections, ${WARMUP_S}+${DURATION_S} s`);
    const warm = await restLoad(base, WARMUP_S, CONNECTIONS, req, child.pid);
    const r = await restLoad(base, DURATION_S, CONNECTIONS, req, child.pid);
    const rssKb = procStatusKb(child.pid, 'VmHWM');
    return figure(
      r,
      restCfg({
        server: 'oidc-provider 9 child process (bench/oidc-server.ts), in-memory adapter, NODE_ENV=production',
        request: 'POST /token grant_type=client_credentials&scope=orders.read, client_secret_basic',
        access_token: 'JWT, ES256 (EC P-256 key from jose), resourceIndicators default resource',
        peak_rss_mb: rssKb !== null ? round(rssKb / 1024, 1) : null,
      }),
      { warmup: { ok: warm.ok, errors: warm.errors }, preflight: describeToken(pre.status, pre.body) },
    );
  } finally {
    await stopChild(child);
  }
}
