// Starts a real Signet (real gRPC and HTTP listeners on free ports) for integration tests,
// on PostgreSQL + Redis (each test file in its own schema and key prefix) or on the embedded
// default (PGlite + in-process store).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { startSignet, type RunningSignet } from '../../src/app.js';
import type { Clock } from '../../src/domain/clock.js';
import { AuthServiceClient, AuthServiceDefinition } from '../../src/gen/signet/auth/v1/auth_service.js';
import { AdminServiceClient, AdminServiceDefinition } from '../../src/gen/signet/auth/v1/admin_service.js';
import { Status } from '../../src/gen/google/rpc/status.js';
import { ErrorInfo } from '../../src/gen/google/rpc/error_details.js';
import { createServer } from 'node:net';

export const PG_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Backend = 'postgres' | 'embedded';
export const BACKENDS: Backend[] = ['postgres', 'embedded'];

export interface TestSignet {
  running: RunningSignet;
  http: string;
  admin: string;
  grpc: AuthServiceClient;
  adminGrpc: AdminServiceClient;
  schema?: string;
  keyPrefix: string;
  config: Config;
  stop(): Promise<void>;
}

/** Cheap argon2 parameters: tests exercise the logic, the bench measures the real cost. */
const FAST_ARGON = { SIGNET_ARGON2_MEMORY_KIB: '1024', SIGNET_ARGON2_ITERATIONS: '1' };

export interface StartTest {
  backend: Backend;
  env?: Record<string, string>;
  /** Share storage with another instance (multi-instance tests). */
  schema?: string;
  keyPrefix?: string;
  dataDir?: string;
  /** The domain's clock (and the in-process store's); a FakeClock lets the test move time. */
  clock?: Clock;
  /** Where the server logs (silent unless TEST_LOG is set). */
  logger?: Logger;
}

export async function startTestSignet(opts: StartTest): Promise<TestSignet> {
  const id = randomBytes(6).toString('hex');
  const schema = opts.backend === 'postgres' ? (opts.schema ?? `t_${id}`) : undefined;
  const keyPrefix = opts.keyPrefix ?? `t:${id}:`;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'signet-')));
  const config = loadConfig({
    ...FAST_ARGON,
    SIGNET_DATA_DIR: dataDir,
    SIGNET_GRPC_PORT: '0',
    SIGNET_HTTP_PORT: '0',
    SIGNET_ADMIN_PORT: '0',
    SIGNET_ADMIN_HTTP_PORT: '0',
    SIGNET_HOST: '127.0.0.1',
    SIGNET_ISSUER: 'http://signet.test',
    SIGNET_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    SIGNET_ADMIN_TOKEN: 'test-admin-token-0123456789',
    SIGNET_LOG_LEVEL: 'silent',
    ...(opts.backend === 'postgres' ? { DATABASE_URL: PG_URL, REDIS_URL } : { DATABASE_URL: 'pglite-memory' }),
    ...opts.env,
  });
  const running = await startSignet(config, {
    logger: opts.logger ?? pino({ level: process.env.TEST_LOG ?? 'silent' }),
    schema,
    keyPrefix,
    clock: opts.clock,
  });
  const creds = grpc.credentials.createInsecure();
  const grpcClient = new AuthServiceClient(`127.0.0.1:${running.ports.grpc}`, creds);
  const adminGrpc = new AdminServiceClient(`127.0.0.1:${running.ports.admin}`, creds);
  return {
    running,
    http: `http://127.0.0.1:${running.ports.http}`,
    admin: `http://127.0.0.1:${running.ports.adminHttp}`,
    grpc: grpcClient,
    adminGrpc,
    schema,
    keyPrefix,
    config,
    async stop() {
      grpcClient.close();
      adminGrpc.close();
      await running.close();
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function dropSchema(schema: string | undefined): Promise<void> {
  if (!schema) return;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

const METHODS: Record<string, { requestType: { fromPartial(o: object): unknown } }> = {
  ...AuthServiceDefinition.methods,
  ...AdminServiceDefinition.methods,
};

/**
 * Calls a unary method of a generated grpc-js client (lowerCamel name) with a partial request,
 * completed with proto defaults as a real client's generated constructor would.
 */
export function call<Req extends object, Res>(
  client: grpc.Client,
  method: string,
  partial: Req,
  metadata: Record<string, string> = {},
): Promise<Res> {
  const req = METHODS[method].requestType.fromPartial(partial);
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve, reject) => {
    (client as any)[method](req, md, (err: grpc.ServiceError | null, res: Res) => (err ? reject(err) : resolve(res)));
  });
}

export interface GrpcFailure {
  code: number;
  message: string;
  reason: string;
  metadata: Record<string, string>;
  status: Status;
}

/** Runs a call that must fail and decodes google.rpc.Status from grpc-status-details-bin. */
export async function grpcFailure(p: Promise<unknown>): Promise<GrpcFailure> {
  try {
    await p;
  } catch (err) {
    const e = err as grpc.ServiceError;
    const bin = e.metadata?.get('grpc-status-details-bin')[0] as Buffer | undefined;
    if (!bin) throw new Error(`no grpc-status-details-bin on ${e.code} ${e.details}`);
    const status = Status.decode(bin);
    const info = status.details.find((d) => d.type_url.endsWith('google.rpc.ErrorInfo'));
    const ei = info ? ErrorInfo.decode(info.value) : undefined;
    return { code: e.code, message: e.details, reason: ei?.reason ?? '', metadata: ei?.metadata ?? {}, status };
  }
  throw new Error('call succeeded but was expected to fail');
}

export async function post(base: string, p: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + p, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
}

export async function get(base: string, p: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + p, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
}

/** Any method on the public REST port, with the user's bearer access token when given. */
export async function userCall(s: TestSignet, method: string, p: string, body: unknown, token = '') {
  const res = await fetch(s.http + p, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Admin REST with the test admin token. */
export const adminPost = (s: TestSignet, p: string, body: unknown, method = 'POST') =>
  fetch(s.admin + p, {
    method,
    headers: { authorization: 'Bearer test-admin-token-0123456789', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

/** A tenant, a public web client, a confidential service client and an active user. */
export async function seed(s: TestSignet, opts: { password?: string; maxSessions?: number } = {}) {
  const password = opts.password ?? 'correct horse battery staple';
  const t = await adminPost(s, '/admin/v1/tenants', { tenant_id: 'acme', name: 'Acme' });
  if (t.status !== 200) throw new Error(`seed tenant: ${JSON.stringify(t.body)}`);
  const web = await adminPost(s, '/admin/v1/clients', {
    client_id: 'web',
    tenant_id: 'acme',
    public: true,
    grant_types: ['password', 'refresh_token'],
    scopes: ['openid', 'user'],
    max_sessions: opts.maxSessions ?? 3,
  });
  const svc = await adminPost(s, '/admin/v1/clients', {
    client_id: 'svc',
    tenant_id: 'acme',
    grant_types: ['password', 'refresh_token', 'client_credentials'],
    scopes: ['openid', 'user', 'orders.read'],
  });
  const user = await adminPost(s, '/admin/v1/users', {
    tenant_id: 'acme',
    username: 'Alice',
    email: 'alice@example.com',
    phone_number: '+86 13800000000',
    password,
    groups: ['admins'],
    name: 'Alice',
  });
  if (user.status !== 200 || svc.status !== 200 || web.status !== 200) {
    throw new Error(`seed: ${JSON.stringify([web.body, svc.body, user.body])}`);
  }
  return { password, secret: svc.body.client_secret as string, userId: user.body.user_id as string };
}

/** A port free right now: for a Signet whose issuer URL must be known before it starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** HTTP Basic client credentials, form-encoded first as RFC 6749 2.3.1 asks. */
export const basicAuth = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
