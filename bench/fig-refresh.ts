// Refresh-token rotation figures: every connection (REST) or in-flight caller (gRPC) carries its
// own token chain, sending the refresh_token returned by its previous answer.
import type { AuthServiceClient } from '../src/gen/signet/auth/v1/auth_service.js';
import { TokenRequest } from '../src/gen/signet/auth/v1/token.js';
import { CONNECTIONS, DURATION_S, WARMUP_S, log } from './env.js';
import { figure, grpcCfg, restCfg, serverCfg, type Figure } from './figures.js';
import { closedLoop, restLoad, type OpResult, type RestRequest } from './load.js';
import { describeToken, grpcCode, grpcUnary, httpJson } from './net.js';
import { makeChains } from './seed.js';
import type { Signet } from './children.js';

function refreshBody(token: string) {
  return JSON.stringify({ grant_type: 'refresh_token', client_id: 'web', refresh_token: token });
}

/** A REST connection that carries its own rotating refresh token. */
function restChain(chain: { token: string }, broken: { n: number }): RestRequest {
  return {
    method: 'POST',
    path: '/auth/v1/token',
    headers: { 'content-type': 'application/json' },
    nextBody: () => refreshBody(chain.token),
    onResponse: (status, body) => {
      if (status !== 200) {
        broken.n++;
        return;
      }
      try {
        const t = JSON.parse(body).refresh_token;
        if (typeof t === 'string' && t) chain.token = t;
        else broken.n++;
      } catch {
        broken.n++;
      }
    },
  };
}

export async function refreshRest(s: Signet): Promise<Figure> {
  log(`refresh_rest: creating ${2 * CONNECTIONS + 1} sessions`);
  const [pre, ...chains] = await makeChains(s, 'rest', 2 * CONNECTIONS + 1);
  const warmChains = chains.slice(0, CONNECTIONS);
  const mainChains = chains.slice(CONNECTIONS);
  const preRes = await httpJson(`${s.http}/auth/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: refreshBody(pre.token),
  });
  const broken = { n: 0 };
  log(`refresh_rest: ${CONNECTIONS} connections, each with its own token chain, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await restLoad(s.http, WARMUP_S, CONNECTIONS, (i) => restChain(warmChains[i % warmChains.length], { n: 0 }), s.child.pid);
  const r = await restLoad(s.http, DURATION_S, CONNECTIONS, (i) => restChain(mainChains[i % mainChains.length], broken), s.child.pid);
  return figure(
    r,
    restCfg({
      request: 'POST /auth/v1/token {grant_type:refresh_token,client_id:web,refresh_token}',
      chains: CONNECTIONS,
      chain_rule: 'each connection sends the refresh_token returned by its previous response',
      ...serverCfg(),
    }),
    { warmup: { ok: warm.ok, errors: warm.errors }, chain_breaks: broken.n, preflight: describeToken(preRes.status, preRes.body) },
  );
}

export async function refreshGrpc(s: Signet, clients: AuthServiceClient[]): Promise<Figure> {
  log(`refresh_grpc: creating ${2 * CONNECTIONS + 1} sessions`);
  const [pre, ...chains] = await makeChains(s, 'grpc', 2 * CONNECTIONS + 1);
  const preRes = await grpcUnary(
    clients[0],
    'token',
    TokenRequest.fromPartial({ grant_type: 'refresh_token', client_id: 'web', refresh_token: pre.token }),
  );
  const opFor =
    (set: Array<{ token: string }>) =>
    async (w: number): Promise<OpResult> => {
      const chain = set[w];
      const { err, res } = await grpcUnary(
        clients[w % clients.length],
        'token',
        TokenRequest.fromPartial({ grant_type: 'refresh_token', client_id: 'web', refresh_token: chain.token }),
      );
      if (err) return { ok: false, code: grpcCode(err), detail: err.details };
      if (!res?.refresh_token) return { ok: false, code: 'NO_REFRESH_TOKEN' };
      chain.token = res.refresh_token;
      return { ok: true };
    };
  log(`refresh_grpc: ${CONNECTIONS} in flight, each with its own token chain, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await closedLoop(CONNECTIONS, WARMUP_S, opFor(chains.slice(0, CONNECTIONS)), s.child.pid);
  const r = await closedLoop(CONNECTIONS, DURATION_S, opFor(chains.slice(CONNECTIONS)), s.child.pid);
  return figure(
    r,
    grpcCfg({
      request: 'AuthService.Token {grant_type:refresh_token,client_id:web,refresh_token}',
      chains: CONNECTIONS,
      chain_rule: 'each in-flight caller sends the refresh_token returned by its previous response',
      ...serverCfg(),
    }),
    {
      warmup: { ok: warm.ok, errors: warm.errors },
      chain_breaks: r.errors,
      preflight: preRes.err ? { ok: false, code: grpcCode(preRes.err), detail: preRes.err.details } : describeToken(200, preRes.res),
    },
  );
}
