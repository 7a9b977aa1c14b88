// SIGTERM to the process group of a server started as `npm start` starts it, twice in a row, under
// a steady load of sign-ins over HTTP keep-alive connections and over gRPC. The server must drain:
// every request it accepted is answered (keep-alive clients are told `Connection: close`, gRPC
// clients GOAWAY), the audit trail has every sign-in answered, "signet stopped" is logged and
// `npm start` exits 0. Requests the server never accepted (refused connections) are fine: it is
// going away.
import { Agent, request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthServiceClient } from '../../src/gen/signet/auth/v1/auth_service.js';
import { withPg } from '../helpers/db.js';
import { ADMIN_TOKEN, startServeProcess, type ServeProcess } from '../helpers/serve-process.js';
import { call, dropSchema } from '../helpers/signet.js';

const PASSWORD = 'correct horse battery staple';
const HTTP_CLIENTS = 4;
const GRPC_CLIENTS = 2;
/** Sign-ins answered before the signals: the load is under way on every client. */
const WARM = 60;

interface Tally {
  answered: number;
  /** Connections refused, or reset before the server read anything on them. */
  notAccepted: number;
  /** Everything that must not happen, described. */
  failures: string[];
}

interface HttpAnswer {
  status: number;
  connection: string | undefined;
}

function signInOverHttp(port: number, agent: Agent, username: string): Promise<HttpAnswer> {
  const body = JSON.stringify({ username, password: PASSWORD });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: 'POST',
        path: '/auth/v1/signin?client_id=web',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
        res.once('error', reject);
      },
    );
    req.once('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { reused: req.reusedSocket })));
    req.end(body);
  });
}

/** Signs in until the server goes away; returns the Connection header of its last answer. */
async function httpClient(port: number, username: string, tally: Tally, progress: () => void): Promise<string | undefined> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let last: string | undefined;
  try {
    for (;;) {
      try {
        const a = await signInOverHttp(port, agent, username);
        if (a.status !== 200) tally.failures.push(`HTTP ${a.status}`);
        tally.answered++;
        last = a.connection;
        progress();
      } catch (err) {
        const e = err as NodeJS.ErrnoException & { reused: boolean };
        // A new connection reset before any answer was never read by the server (it was still in
        // the listen backlog when the listener closed); on a reused one it would be a lost request.
        if (e.code === 'ECONNREFUSED' || (!e.reused && (e.code === 'ECONNRESET' || e.message === 'socket hang up'))) tally.notAccepted++;
        else tally.failures.push(`HTTP ${e.code ?? e.message}${e.reused ? ' on a reused connection' : ''}`);
        return last;
      }
    }
  } finally {
    agent.destroy();
  }
}

async function grpcClient(port: number, username: string, tally: Tally, progress: () => void): Promise<void> {
  const client = new AuthServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    for (;;) {
      try {
        await call(client, 'signIn', { client_id: 'web', username, password: PASSWORD });
        tally.answered++;
        progress();
      } catch (err) {
        const e = err as grpc.ServiceError;
        // UNAVAILABLE without Signet's own status details: the channel could not reach the server.
        const fromSignet = e.metadata?.get('grpc-status-details-bin').length > 0;
        if (e.code === grpc.status.UNAVAILABLE && !fromSignet) tally.notAccepted++;
        else tally.failures.push(`gRPC ${e.code} ${e.details}`);
        return;
      }
    }
  } finally {
    client.close();
  }
}

async function createUser(s: ServeProcess, username: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${s.ports.adminHttp}/admin/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenant_id: 'acme', username, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`create user: ${res.status} ${await res.text()}`);
  return username;
}

describe('SIGTERM to the process group of `npm start`, under load', () => {
  let server: ServeProcess | undefined;
  afterAll(async () => {
    server?.kill();
    if (server) await dropSchema(server.schema);
  });

  it('drains: no accepted request lost, audit complete, "signet stopped", exit code 0', { timeout: 180_000 }, async () => {
    server = await startServeProcess({
      SIGNET_BOOTSTRAP_TENANT: 'acme',
      SIGNET_BOOTSTRAP_CLIENT_ID: 'web',
      SIGNET_BOOTSTRAP_CLIENT_PUBLIC: 'true',
    });
    const s = server;
    // A user per client: sign-ins of one user in flight at once are bounded by its lockout budget.
    const users = await Promise.all(Array.from({ length: HTTP_CLIENTS + GRPC_CLIENTS }, (_, i) => createUser(s, `user${i}`)));
    const tally: Tally = { answered: 0, notAccepted: 0, failures: [] };
    let warm!: () => void;
    const warmed = new Promise<void>((resolve) => {
      warm = resolve;
    });
    const progress = () => {
      if (tally.answered >= WARM) warm();
    };
    const httpClients = users.slice(0, HTTP_CLIENTS).map((u) => httpClient(s.ports.http, u, tally, progress));
    const grpcClients = users.slice(HTTP_CLIENTS).map((u) => grpcClient(s.ports.grpc, u, tally, progress));
    await warmed;

    // Twice, as a terminal's Ctrl-C twice or a service manager and a relay would.
    process.kill(-s.pid, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 10));
    process.kill(-s.pid, 'SIGTERM');

    const exit = await s.exited;
    const lastAnswers = await Promise.all(httpClients);
    await Promise.all(grpcClients);
    const log = s.output();
    const audited = await withPg((c) =>
      c.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${s.schema}".audit_events WHERE event = 'sign_in'`),
    );

    expect(tally.failures, log).toEqual([]);
    expect(exit, log).toEqual({ code: 0, signal: null });
    expect(log).toContain('"msg":"shutting down"');
    expect(log).toContain('"msg":"signet stopped"');
    // Every keep-alive client was told to close before its connection went.
    expect(lastAnswers).toEqual(Array(HTTP_CLIENTS).fill('close'));
    // Every sign-in the server did is one a client was answered: none was lost on the way.
    expect(audited.rows[0].n).toBe(tally.answered);
  });
});
