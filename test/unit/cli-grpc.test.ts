// The CLI's real gRPC path against an in-process AdminService stub: bearer token metadata,
// accept-language, the grpc-status-details-bin trailer, and an unreachable server.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorInfo } from '../../src/gen/google/rpc/error_details.js';
import { Status } from '../../src/gen/google/rpc/status.js';
import { AdminServiceService } from '../../src/gen/signet/auth/v1/admin_service.js';
import type { Tenant } from '../../src/gen/signet/auth/v1/admin.js';
import { runCli } from '../../src/cli/run.js';

const TOKEN = 'grpc-test-token-0123456789';
const T0 = new Date('2026-01-02T03:04:05Z');

function fail(code: grpc.status, reason: string, message: string): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  const info = Buffer.from(ErrorInfo.encode({ reason, domain: 'signet', metadata: {} }).finish());
  const details = [{ type_url: 'type.googleapis.com/google.rpc.ErrorInfo', value: info }];
  metadata.set('grpc-status-details-bin', Buffer.from(Status.encode({ code, message, details }).finish()));
  return { code, details: message, metadata };
}

let server: grpc.Server;
let port = 0;
const seen: { authorization?: string; language?: string }[] = [];
const tenants: Tenant[] = [];
const auditRequests: unknown[] = [];

function authorized(call: grpc.ServerUnaryCall<unknown, unknown>): boolean {
  const authorization = call.metadata.get('authorization')[0] as string | undefined;
  seen.push({ authorization, language: call.metadata.get('accept-language')[0] as string | undefined });
  return authorization === `Bearer ${TOKEN}`;
}

beforeAll(async () => {
  server = new grpc.Server();
  const impl = {
    createTenant(call: grpc.ServerUnaryCall<any, Tenant>, cb: grpc.sendUnaryData<Tenant>) {
      if (!authorized(call)) return cb(fail(grpc.status.UNAUTHENTICATED, 'unauthenticated', 'bad admin token'), null);
      if (tenants.some((t) => t.tenant_id === call.request.tenant_id)) {
        return cb(fail(grpc.status.ALREADY_EXISTS, 'already_exists', `tenant ${call.request.tenant_id} exists`), null);
      }
      const t: Tenant = { tenant_id: call.request.tenant_id, name: call.request.name, status: 'enabled', created_at: T0, updated_at: T0 };
      tenants.push(t);
      cb(null, t);
    },
    listTenants(call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) {
      if (!authorized(call)) return cb(fail(grpc.status.UNAUTHENTICATED, 'unauthenticated', 'bad admin token'), null);
      cb(null, { tenants, next_page_token: '' });
    },
    unlockUser(call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) {
      if (!authorized(call)) return cb(fail(grpc.status.UNAUTHENTICATED, 'unauthenticated', 'bad admin token'), null);
      if (call.request.user_id !== 'u1') return cb(fail(grpc.status.NOT_FOUND, 'not_found', 'no such user'), null);
      cb(null, {
        user_id: 'u1',
        tenant_id: 'acme',
        user_type: 'C',
        username: 'alice',
        email: '',
        email_verified: false,
        phone_number: '',
        phone_number_verified: false,
        name: '',
        status: 'active',
        groups: [],
        created_at: T0,
        updated_at: T0,
      });
    },
    listAuditEvents(call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) {
      if (!authorized(call)) return cb(fail(grpc.status.UNAUTHENTICATED, 'unauthenticated', 'bad admin token'), null);
      auditRequests.push(call.request);
      const event = {
        id: 2 ** 40 + 1,
        time: T0,
        event: 'lock',
        tenant_id: 'acme',
        user_id: 'u1',
        client_id: '',
        device_id: '',
        ip: '::1',
        reason: 'max_failed_attempts',
        detail: '',
      };
      cb(null, { events: [event], next_page_token: '' });
    },
  };
  server.addService(AdminServiceService, impl as unknown as grpc.UntypedServiceImplementation);
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
});

afterAll(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));

async function cli(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    readStdin: async () => '',
    env: { SIGNET_ADMIN_TOKEN: TOKEN, SIGNET_ADMIN_PORT: String(port), LANG: 'en_GB.UTF-8', ...env },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('signet CLI over gRPC', () => {
  it('sends the bearer token and language, and prints the answer', async () => {
    const created = await cli(['tenants', 'create', '--id', 'acme', '--name', 'Acme']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toContain('tenant_id:          acme');
    expect(seen.at(-1)).toEqual({ authorization: `Bearer ${TOKEN}`, language: 'en-GB' });

    const list = await cli(['tenants', 'list', '--json'], { SIGNET_ADMIN_URL: `http://127.0.0.1:${port}` });
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ tenantId: 'acme', name: 'Acme', createdAt: T0.toISOString() })]);
  });

  it('reads the reason from the status details trailer', async () => {
    const again = await cli(['tenants', 'create', '--id', 'acme']);
    expect(again).toMatchObject({ code: 1, stdout: '', stderr: 'error: already_exists: tenant acme exists\n' });
    const bad = await cli(['tenants', 'list'], { SIGNET_ADMIN_TOKEN: 'wrong-token-0123456789' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: unauthenticated: bad admin token\nhint: check SIGNET_ADMIN_TOKEN/);
  });

  it('unlocks a user and lists audit events over the wire', async () => {
    const unlocked = await cli(['users', 'unlock', 'u1']);
    expect(unlocked).toMatchObject({ code: 0, stderr: '' });
    expect(unlocked.stdout).toContain('user_id:      u1');
    expect(await cli(['users', 'unlock', 'u2'])).toMatchObject({ code: 1, stderr: 'error: not_found: no such user\n' });

    const listed = await cli(['audit', 'list', '--user', 'u1', '--since', '2026-01-01T00:00:00.5Z', '--limit', '20', '--json']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        id: String(2 ** 40 + 1),
        time: T0.toISOString(),
        event: 'lock',
        tenantId: 'acme',
        userId: 'u1',
        clientId: '',
        deviceId: '',
        ip: '::1',
        reason: 'max_failed_attempts',
        detail: '',
      },
    ]);
    expect(auditRequests).toEqual([
      {
        page_size: 20,
        page_token: '',
        user_id: 'u1',
        tenant_id: '',
        event: '',
        since: new Date('2026-01-01T00:00:00.500Z'),
      },
    ]);
  });

  it('an RPC the server does not implement is a server error', async () => {
    const r = await cli(['keys', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: unimplemented: /);
  });

  it('exit 3 when nothing listens', async () => {
    const closed = new grpc.Server();
    const freePort = await new Promise<number>((resolve, reject) =>
      closed.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    closed.forceShutdown();
    const r = await cli(['tenants', 'list'], { SIGNET_ADMIN_PORT: String(freePort) });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^error: cannot reach the admin API at 127\\.0\\.0\\.1:${freePort}: `));
    expect(r.stderr).toContain('hint: is `signet serve` running?');
  });
});
