// The signet CLI against a fake AdminService: argument parsing, requests, output, exit codes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEvent, Client, SigningKey, Tenant, TransportKey, User } from '../../src/gen/signet/auth/v1/admin.js';
import { BadRequest, ErrorInfo } from '../../src/gen/google/rpc/error_details.js';
import { Status } from '../../src/gen/google/rpc/status.js';
import type { AdminApi, AdminConnection } from '../../src/cli/admin.js';
import { grpcTarget, languageOf, resolveConnection } from '../../src/cli/admin.js';
import { parseSince } from '../../src/cli/audit.js';
import { clean, record, table, toJson, width } from '../../src/cli/output.js';
import { commands, runCli, type CliDeps } from '../../src/cli/run.js';
import type { AppModule } from '../../src/cli/server.js';

const T0 = new Date('2026-01-02T03:04:05.678Z');
const tenant = (id: string, extra: Partial<Tenant> = {}): Tenant => ({
  tenant_id: id,
  name: `Tenant ${id}`,
  status: 'enabled',
  policy: {},
  created_at: T0,
  updated_at: T0,
  ...extra,
});
const client = (id: string, extra: Partial<Client> = {}): Client => ({
  client_id: id,
  tenant_id: 'acme',
  name: '',
  client_type: 'confidential',
  grant_types: ['password'],
  scopes: [],
  access_token_ttl_seconds: 7200,
  refresh_token_ttl_seconds: 2592000,
  max_sessions: 10,
  status: 'enabled',
  created_at: T0,
  updated_at: T0,
  password_encryption: 'none',
  reject_replayed_passwords: false,
  sign_up_enabled: true,
  redirect_uris: [],
  first_party: true,
  custom_ticket_sign_up: false,
  ...extra,
});
const user = (id: string, extra: Partial<User> = {}): User => ({
  user_id: id,
  tenant_id: 'acme',
  user_type: 'P',
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
  ...extra,
});
const key = (kid: string, extra: Partial<SigningKey> = {}): SigningKey => ({
  kid,
  alg: 'ES256',
  status: 'active',
  created_at: T0,
  ...extra,
});
const transportKey = (thumbprint: string, extra: Partial<TransportKey> = {}): TransportKey => ({
  thumbprint,
  bits: 2048,
  status: 'active',
  created_at: T0,
  ...extra,
});
const auditEvent = (id: number, extra: Partial<AuditEvent> = {}): AuditEvent => ({
  id,
  time: T0,
  event: 'sign_in',
  tenant_id: 'acme',
  user_id: 'u1',
  client_id: 'web',
  device_id: '',
  ip: '203.0.113.7',
  reason: 'password',
  detail: '',
  ...extra,
});

type Handlers = Partial<Record<Exclude<keyof AdminApi, 'close'>, (req: any) => Promise<unknown>>>;

function harness(
  handlers: Handlers = {},
  opts: { env?: Record<string, string>; stdin?: string; app?: Partial<AppModule>; now?: Date } = {},
) {
  const calls: { method: string; req: any }[] = [];
  const connections: AdminConnection[] = [];
  let closed = 0;
  let serving = 0;
  const api = new Proxy({} as AdminApi, {
    get: (_, method: string) => {
      if (method === 'close') return () => void closed++;
      return async (req: unknown) => {
        calls.push({ method, req });
        const h = handlers[method as keyof Handlers];
        if (!h) throw new Error(`unexpected call ${method}`);
        return h(req);
      };
    },
  });
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const deps: CliDeps = {
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
      readStdin: async () => opts.stdin ?? '',
      env: opts.env ?? { SIGNET_ADMIN_TOKEN: 'test-token-0123456789' },
      connect: (conn) => {
        connections.push(conn);
        return api;
      },
      loadApp: async () => opts.app as AppModule,
      onServing: () => void serving++,
      now: () => opts.now ?? T0,
    };
    const code = await runCli(argv, deps);
    return { code, stdout: out.join(''), stderr: err.join('') };
  };
  return { run, calls, connections, closed: () => closed, serving: () => serving };
}

function grpcError(code: number, message: string, details: { reason?: string; violations?: [string, string][] } = {}) {
  const metadata = new Metadata();
  const any = [];
  if (details.reason) {
    any.push({
      type_url: 'type.googleapis.com/google.rpc.ErrorInfo',
      value: Buffer.from(ErrorInfo.encode({ reason: details.reason, domain: 'signet', metadata: {} }).finish()),
    });
  }
  if (details.violations) {
    const field_violations = details.violations.map(([field, description]) => ({ field, description, reason: '' }));
    any.push({
      type_url: 'type.googleapis.com/google.rpc.BadRequest',
      value: Buffer.from(BadRequest.encode({ field_violations }).finish()),
    });
  }
  if (any.length) metadata.set('grpc-status-details-bin', Buffer.from(Status.encode({ code, message, details: any }).finish()));
  return Object.assign(new Error(`${code} ${status[code]}: ${message}`), { code, details: message, metadata });
}

describe('help and usage errors', () => {
  it('prints the overview for --help (exit 0) and on stderr without a command (exit 2)', async () => {
    const h = harness();
    const help = await h.run('--help');
    expect(help.code).toBe(0);
    for (const spec of commands()) expect(help.stdout).toContain(spec.path.join(' '));
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 error from the server, 2 usage error, 3 admin API unreachable');
    const none = await h.run();
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toContain('Usage: signet <command>');
  });

  it.each(commands().map((s) => s.path.join(' ')))('%s --help', async (command) => {
    const h = harness();
    for (const flag of ['--help', '-h']) {
      const r = await h.run(...command.split(' '), flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: signet ${command}`));
      expect(r.stdout).toContain('--json');
    }
    expect(h.connections).toHaveLength(0);
  });

  it("lists a group's subcommands", async () => {
    const r = await harness().run('users', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/create[\s\S]*list[\s\S]*set-status ID STATUS[\s\S]*set-password ID/);
  });

  it.each([
    [['nope'], /unknown command "nope"/, 'signet --help'],
    [['users'], /"users" needs a subcommand: create, list, set-status, set-password, unlock/, 'signet users --help'],
    [['audit'], /"audit" needs a subcommand: list/, 'signet audit --help'],
    [['users', 'unlock'], /missing ID/, 'signet users unlock --help'],
    [['users', 'unlock', ''], /ID is empty/, 'signet users unlock --help'],
    [
      ['audit', 'list', '--since', 'yesterday'],
      /--since must be an RFC 3339 time .* or an age such as 30m, 24h or 7d, got "yesterday"/,
      'signet audit list --help',
    ],
    [['audit', 'list', '--since', '2025-11-25'], /--since must be/, 'signet audit list --help'],
    [['audit', 'list', '--since', '2025-11-25T08:00:00'], /--since must be/, 'signet audit list --help'],
    [['audit', 'list', '--since=-24h'], /--since must be/, 'signet audit list --help'],
    [['audit', 'list', '--since', '24y'], /--since must be/, 'signet audit list --help'],
    [['audit', 'list', '--limit', '0'], /--limit must be a positive whole number, got "0"/, 'signet audit list --help'],
    [['audit', 'list', '--limit', 'all'], /--limit must be a positive whole number/, 'signet audit list --help'],
    [['audit', 'list', '--username', 'a'], /"audit list" has no option --username/, 'signet audit list --help'],
    [['audit', 'list', 'x'], /unexpected argument "x"/, 'signet audit list --help'],
    [['users', 'delete', 'u1'], /unknown command "users delete"/, 'signet users --help'],
    [['tenants', 'list', '--nope'], /Unknown option '--nope'/, 'signet --help'],
    [['users', 'create', '--username', 'a', '--public'], /"users create" has no option --public/, 'signet users create --help'],
    [['tenants', 'create'], /--id is required/, 'signet tenants create --help'],
    [['tenants', 'create', '--id', ' '], /--id is empty/, 'signet tenants create --help'],
    [['tenants', 'create', '--id'], /argument missing/, 'signet --help'],
    [['clients', 'create', '--id', 'c'], /--tenant is required/, 'signet clients create --help'],
    [['tenants', 'disable'], /missing ID/, 'signet tenants disable --help'],
    [['tenants', 'disable', 'a', 'b'], /unexpected argument "b"/, 'signet tenants disable --help'],
    [['tenants', 'list', 'x'], /unexpected argument "x"/, 'signet tenants list --help'],
    [['users', 'set-status', 'u1'], /missing STATUS/, 'signet users set-status --help'],
    [['users', 'set-status', 'u1', 'gone'], /STATUS must be one of active, pending, blocked, got "gone"/, 'signet users set-status --help'],
    [['users', 'create', '--username', 'a', '--type', 'X'], /--type must be one of P, C/, 'signet users create --help'],
    [
      ['users', 'create', '--username', 'a', '--status', 'on'],
      /--status must be one of active, pending, blocked/,
      'signet users create --help',
    ],
    [
      ['users', 'create', '--username', 'a', '--password', 'p', '--password-stdin'],
      /either --password or --password-stdin/,
      'signet users create --help',
    ],
    [['users', 'set-password', 'u1'], /a password is required/, 'signet users set-password --help'],
    [['users', 'set-password', 'u1', '--password', ''], /the password is empty/, 'signet users set-password --help'],
    [
      ['clients', 'create', '--id', 'c', '--tenant', 't', '--access-ttl', '1h'],
      /--access-ttl must be a positive whole number, got "1h"/,
      'signet clients create --help',
    ],
    [
      ['clients', 'create', '--id', 'c', '--tenant', 't', '--max-sessions', '0'],
      /--max-sessions must be a positive whole number/,
      'signet clients create --help',
    ],
    [
      ['clients', 'create', '--id', 'c', '--tenant', 't', '--refresh-ttl', '4294967296'],
      /--refresh-ttl must be a positive/,
      'signet clients create --help',
    ],
    [['keys', 'list', '--json=yes'], /does not take an argument/, 'signet --help'],
  ])('%j is a usage error', async (argv, message, pointer) => {
    const h = harness();
    const r = await h.run(...argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).toContain(`run "${pointer}" for usage`);
    expect(h.calls).toHaveLength(0);
  });

  it('reads a password from stdin with one trailing newline stripped; empty stdin is an error', async () => {
    const h = harness({ updateUser: async (req) => user(req.user_id) }, { stdin: ' s3cret pass \r\n' });
    const r = await h.run('users', 'set-password', 'u1', '--password-stdin');
    expect(r).toMatchObject({ code: 0, stdout: 'password set for user u1\n' });
    expect(h.calls).toEqual([{ method: 'updateUser', req: { user_id: 'u1', password: ' s3cret pass ', bypass_password_policy: false } }]);
    const empty = harness({}, { stdin: '\n' });
    expect((await empty.run('users', 'set-password', 'u1', '--password-stdin')).code).toBe(2);
  });
});

describe('requests', () => {
  it('tenants create / list / disable', async () => {
    const h = harness({
      createTenant: async (req) => tenant(req.tenant_id, { name: req.name, policy: req.policy }),
      listTenants: async (req) =>
        req.page_token === ''
          ? { tenants: [tenant('a')], next_page_token: 'p2' }
          : { tenants: [tenant('b', { status: 'disabled' })], next_page_token: '' },
      disableTenant: async (req) => tenant(req.tenant_id, { status: 'disabled' }),
    });
    const created = await h.run('tenants', 'create', '--id', 'acme', '--name', 'Acme 公司', '--hide-unknown-users');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('tenant_id:          acme\n');
    expect(created.stdout).toContain('hide_unknown_users: true\n');
    expect(created.stdout).toContain('created_at:         2026-01-02T03:04:05Z\n');
    await h.run('tenants', 'create', '--id', 'plain');
    const list = await h.run('tenants', 'list');
    expect(list.stdout).toBe(
      [
        'ID  NAME      STATUS    HIDE_UNKNOWN_USERS  CREATED',
        'a   Tenant a  enabled   false               2026-01-02T03:04:05Z',
        'b   Tenant b  disabled  false               2026-01-02T03:04:05Z',
        '',
      ].join('\n'),
    );
    await h.run('tenants', 'disable', 'acme');
    expect(h.calls.map((c) => [c.method, c.req])).toEqual([
      ['createTenant', { tenant_id: 'acme', name: 'Acme 公司', policy: { hide_unknown_users: true } }],
      ['createTenant', { tenant_id: 'plain', name: '', policy: undefined }],
      ['listTenants', { page_size: 100, page_token: '' }],
      ['listTenants', { page_size: 100, page_token: 'p2' }],
      ['disableTenant', { tenant_id: 'acme' }],
    ]);
    expect(h.closed()).toBe(4); // one connection per command, always closed
  });

  it('tenants create / update send the sign-up and password policy flags; users --bypass-policy', async () => {
    const h = harness({
      createTenant: async (req) => tenant(req.tenant_id, { policy: req.policy }),
      updateTenant: async (req) => tenant(req.tenant_id, { policy: req.policy }),
      createUser: async (req) => user('u1', { username: req.username }),
      updateUser: async (req) => user(req.user_id),
    });
    const created = await h.run(
      'tenants',
      'create',
      '--id',
      'acme',
      '--sign-up',
      'on',
      '--sign-up-methods',
      'email,phone',
      '--anonymous-sign-in',
      'on',
      '--password-min-length',
      '10',
      '--password-max-length',
      '64',
      '--password-classes',
      'lower,digit',
      '--password-reject-identifiers',
      'off',
      '--password-reject-common',
      'on',
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('sign_up:            true\n');
    expect(created.stdout).toContain('sign_up_methods:    email,phone\n');
    expect(created.stdout).toContain('password_length:    10-64\n');
    expect(created.stdout).toContain('password_classes:   lower,digit\n');
    expect(created.stdout).toContain('reject_identifiers: false\n');
    expect((await h.run('tenants', 'update', 'acme', '--sign-up', 'off', '--password-classes', '')).code).toBe(0);
    expect((await h.run('users', 'create', '--username', 'ann', '--password', 'x', '--bypass-policy')).code).toBe(0);
    expect((await h.run('users', 'set-password', 'u1', '--password', 'x', '--bypass-policy')).code).toBe(0);
    expect(h.calls[0].req.policy).toEqual({
      sign_up_enabled: true,
      sign_up_methods: { values: ['email', 'phone'] },
      anonymous_sign_in: true,
      password_min_length: 10,
      password_max_length: 64,
      password_required_classes: { values: ['lower', 'digit'] },
      password_reject_identifiers: false,
      password_reject_common: true,
    });
    expect(h.calls[1].req).toEqual({
      tenant_id: 'acme',
      name: undefined,
      policy: { sign_up_enabled: false, password_required_classes: { values: [] } },
    });
    expect(h.calls[2].req.bypass_password_policy).toBe(true);
    expect(h.calls[3].req).toEqual({ user_id: 'u1', password: 'x', bypass_password_policy: true });
    const bad = await h.run('tenants', 'update', 'acme', '--sign-up', 'yes');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sign-up must be one of on, off/);
  });

  it('tenants create / update send the login page branding; a data URI logo is shown by type and size', async () => {
    const h = harness({
      createTenant: async (req) => tenant(req.tenant_id, { policy: req.policy }),
      updateTenant: async (req) => tenant(req.tenant_id, { policy: req.policy }),
    });
    const created = await h.run(
      'tenants',
      'create',
      '--id',
      'acme',
      '--display-name',
      'Acme Login',
      '--logo-url',
      'https://cdn.example.com/acme.png',
      '--primary-color',
      '#ff8800',
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('display_name:       Acme Login\n');
    expect(created.stdout).toContain('logo_url:           https://cdn.example.com/acme.png\n');
    expect(created.stdout).toContain('primary_color:      #ff8800\n');
    const logo = `data:image/png;base64,${'A'.repeat(400)}`;
    const updated = await h.run('tenants', 'update', 'acme', '--logo-url', logo, '--display-name', '');
    expect(updated.stdout).toContain('logo_url:           data:image/png;base64 (422 characters)\n');
    expect(updated.stdout).toContain('primary_color:      #1f6feb\n');
    expect(h.calls.map((c) => c.req.policy)).toEqual([
      { display_name: 'Acme Login', logo_url: 'https://cdn.example.com/acme.png', primary_color: '#ff8800' },
      { display_name: '', logo_url: logo },
    ]);
    expect((await h.run('tenants', 'create', '--help')).stdout).toMatch(/--primary-color #rrggbb/);
  });

  it('clients create sends every field and labels the secret, shown once', async () => {
    const h = harness({
      createClient: async (req) => ({
        client: client(req.client_id, { client_type: req.public ? 'public' : 'confidential' }),
        client_secret: req.public ? '' : 'SECRET-abc',
      }),
    });
    const r = await h.run(
      'clients',
      'create',
      '--id',
      'web',
      '--tenant',
      'acme',
      '--name',
      'Web',
      '--grant-types',
      'password, refresh_token,',
      '--scopes',
      'openid,profile',
      '--access-ttl',
      '600',
      '--refresh-ttl',
      '86400',
      '--max-sessions',
      '3',
    );
    expect(r.code).toBe(0);
    expect(h.calls[0].req).toEqual({
      client_id: 'web',
      tenant_id: 'acme',
      name: 'Web',
      public: false,
      grant_types: ['password', 'refresh_token'],
      scopes: ['openid', 'profile'],
      access_token_ttl_seconds: 600,
      refresh_token_ttl_seconds: 86400,
      max_sessions: 3,
      password_encryption: '',
      reject_replayed_passwords: false,
      redirect_uris: [],
    });
    expect(r.stdout).toMatch(/\nclient_secret: SECRET-abc\n {2}\^ shown this once: store it now/);

    const pub = await h.run('clients', 'create', '--id', 'spa', '--tenant', 'acme', '--public');
    expect(h.calls[1].req).toMatchObject({ public: true, grant_types: [], access_token_ttl_seconds: 0, max_sessions: 0 });
    expect(pub.stdout).not.toContain('client_secret');

    const enc = await h.run(
      'clients',
      'create',
      '--id',
      'hz',
      '--tenant',
      'acme',
      '--password-encryption',
      'required',
      '--reject-replayed-passwords',
    );
    expect(enc.code).toBe(0);
    expect(h.calls[2].req).toMatchObject({ password_encryption: 'required', reject_replayed_passwords: true });
    expect(enc.stdout).toContain('password_encryption:       none\n');
    expect(enc.stdout).toContain('reject_replayed_passwords: false\n');
    const bad = await h.run('clients', 'create', '--id', 'hz', '--tenant', 'acme', '--password-encryption', 'aes');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--password-encryption must be one of none, rsa, required, got "aes"/);
    expect(h.calls).toHaveLength(3);

    const json = await h.run('clients', 'create', '--id', 'web', '--tenant', 'acme', '--json');
    expect(JSON.parse(json.stdout)).toEqual({
      client: expect.objectContaining({
        clientId: 'web',
        clientType: 'confidential',
        createdAt: T0.toISOString(),
        passwordEncryption: 'none',
        rejectReplayedPasswords: false,
      }),
      clientSecret: 'SECRET-abc',
    });
  });

  it('clients list / disable', async () => {
    const h = harness({
      listClients: async () => ({ clients: [client('web', { scopes: ['openid', 'profile'] })], next_page_token: '' }),
      disableClient: async (req) => client(req.client_id, { status: 'disabled' }),
    });
    const list = await h.run('clients', 'list', '--tenant', 'acme');
    expect(list.stdout).toContain('ID   TENANT  TYPE          STATUS   GRANT_TYPES  SCOPES          NAME\n');
    expect(list.stdout).toContain('web  acme    confidential  enabled  password     openid,profile  -\n');
    const off = await h.run('clients', 'disable', 'web');
    expect(off.stdout).toContain('status:                    disabled');
    expect(h.calls.map((c) => c.req)).toEqual([{ page_size: 100, page_token: '', tenant_id: 'acme' }, { client_id: 'web' }]);
  });

  it('users create / list / set-status', async () => {
    const h = harness(
      {
        createUser: async (req) => user('u1', { username: req.username, email: req.email, groups: req.groups }),
        listUsers: async () => ({ users: [user('u1', { email: 'a@example.com', groups: ['admins', 'ops'] })], next_page_token: '' }),
        updateUser: async (req) => user(req.user_id, { status: req.status }),
      },
      { stdin: 'pw-from-stdin\n', env: { SIGNET_ADMIN_TOKEN: 't0123456789abcdef' } },
    );
    const created = await h.run(
      'users',
      'create',
      '--username',
      'alice',
      '--email',
      'a@example.com',
      '--phone',
      '+8613800000000',
      '--password-stdin',
      '--tenant',
      'acme',
      '--type',
      'C',
      '--status',
      'pending',
      '--groups',
      'admins,ops',
      '--name',
      'Alice',
    );
    expect(created.code).toBe(0);
    expect(created.stdout).not.toContain('pw-from-stdin');
    expect(h.calls[0].req).toEqual({
      tenant_id: 'acme',
      user_type: 'C',
      username: 'alice',
      email: 'a@example.com',
      phone_number: '+8613800000000',
      name: 'Alice',
      password: 'pw-from-stdin',
      password_hash: '',
      status: 'pending',
      groups: ['admins', 'ops'],
      email_verified: false,
      phone_number_verified: false,
      bypass_password_policy: false,
    });
    await h.run('users', 'create', '--username', 'bob');
    expect(h.calls[1].req).toMatchObject({ tenant_id: '', user_type: '', status: '', password: '', groups: [] });

    const list = await h.run('users', 'list');
    expect(list.stdout.split('\n')[1]).toBe('u1  acme    P     alice     a@example.com  -      active  admins,ops');
    const blocked = await h.run('users', 'set-status', 'u1', 'blocked', '--json');
    expect(JSON.parse(blocked.stdout)).toMatchObject({ userId: 'u1', status: 'blocked', groups: [] });
    expect(h.calls.at(-1)).toEqual({ method: 'updateUser', req: { user_id: 'u1', status: 'blocked', bypass_password_policy: false } });
  });

  it('keys rotate / list, and global options anywhere on the line', async () => {
    const h = harness({
      rotateSigningKey: async () => key('k2'),
      listSigningKeys: async () => ({ keys: [key('k1', { status: 'retired', retire_at: T0 }), key('k2')] }),
    });
    expect((await h.run('keys', 'rotate')).stdout).toContain('kid:        k2\n');
    const list = await h.run('--json', 'keys', 'list');
    expect(JSON.parse(list.stdout)).toEqual([
      { kid: 'k1', alg: 'ES256', status: 'retired', createdAt: T0.toISOString(), retireAt: T0.toISOString() },
      { kid: 'k2', alg: 'ES256', status: 'active', createdAt: T0.toISOString() },
    ]);
    const human = await h.run('keys', '--admin-url', 'localhost:1', 'list');
    expect(human.stdout).toContain('k1   ES256  retired  2026-01-02T03:04:05Z  2026-01-02T03:04:05Z');
    expect(h.connections.at(-1)?.url).toBe('localhost:1');
  });

  it('keys rotate-transport / list-transport', async () => {
    const h = harness({
      rotateTransportKey: async () => transportKey('tp-new'),
      listTransportKeys: async () => ({ keys: [transportKey('tp-old', { status: 'retired', retire_at: T0 }), transportKey('tp-new')] }),
    });
    const rotated = await h.run('keys', 'rotate-transport');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('thumbprint: tp-new\n');
    expect(rotated.stdout).toContain('bits:       2048\n');
    const list = await h.run('keys', 'list-transport');
    expect(list.stdout).toContain('THUMBPRINT  BITS  STATUS   CREATED               RETIRE_AT\n');
    expect(list.stdout).toContain('tp-old      2048  retired  2026-01-02T03:04:05Z  2026-01-02T03:04:05Z\n');
    const json = await h.run('--json', 'keys', 'list-transport');
    expect(JSON.parse(json.stdout)).toEqual([
      { thumbprint: 'tp-old', bits: 2048, status: 'retired', createdAt: T0.toISOString(), retireAt: T0.toISOString() },
      { thumbprint: 'tp-new', bits: 2048, status: 'active', createdAt: T0.toISOString() },
    ]);
    expect(h.calls.map((c) => c.method)).toEqual(['rotateTransportKey', 'listTransportKeys', 'listTransportKeys']);
  });

  it('users unlock', async () => {
    const h = harness({ unlockUser: async (req) => user(req.user_id, { status: 'active' }) });
    const r = await h.run('users', 'unlock', 'u1');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('user_id:      u1\n');
    expect(r.stdout).toContain('status:       active\n');
    const json = await h.run('users', 'unlock', 'u1', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ userId: 'u1', status: 'active' });
    expect(h.calls).toEqual([
      { method: 'unlockUser', req: { user_id: 'u1' } },
      { method: 'unlockUser', req: { user_id: 'u1' } },
    ]);
  });

  it('sessions list --user prints the live sessions; revoke takes SESSION_ID or --user, not both', async () => {
    const session = {
      session_id: 's1',
      client_id: 'web',
      device_id: 'd1',
      channel: 'web',
      created_at: T0,
      expires_at: new Date('2026-02-01T03:04:05Z'),
      current: false,
      user_id: 'u1',
    };
    const h = harness({
      listSessions: async () => ({ sessions: [session] }),
      revokeSession: async (req) => ({ revoked: req.session_id === 's1' }),
      revokeUserSessions: async () => ({ revoked: 3 }),
    });
    const list = await h.run('sessions', 'list', '--user', 'u1');
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout.split('\n')[0]).toMatch(/^ID +CLIENT +DEVICE +CHANNEL +CREATED +EXPIRES$/);
    expect(list.stdout.split('\n')[1]).toBe('s1  web     d1      web      2026-01-02T03:04:05Z  2026-02-01T03:04:05Z');
    expect(await h.run('sessions', 'revoke', 's1')).toMatchObject({ code: 0, stdout: 'session s1 ended\n' });
    expect((await h.run('sessions', 'revoke', 's2')).stdout).toBe('session s2 was not live (already ended, expired or unknown)\n');
    expect(await h.run('sessions', 'revoke', '--user', 'u1')).toMatchObject({ code: 0, stdout: '3 sessions of user u1 ended\n' });
    expect(JSON.parse((await h.run('sessions', 'revoke', '--user', 'u1', '--json')).stdout)).toEqual({ revoked: 3 });
    expect(h.calls).toEqual([
      { method: 'listSessions', req: { user_id: 'u1' } },
      { method: 'revokeSession', req: { session_id: 's1' } },
      { method: 'revokeSession', req: { session_id: 's2' } },
      { method: 'revokeUserSessions', req: { user_id: 'u1' } },
      { method: 'revokeUserSessions', req: { user_id: 'u1' } },
    ]);
    // Usage errors reach no server.
    for (const argv of [
      ['sessions', 'revoke'],
      ['sessions', 'revoke', 's1', '--user', 'u1'],
      ['sessions', 'list'],
      ['sessions', 'revoke', 'a', 'b'],
    ]) {
      const r = await h.run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
    }
    expect((await h.run('sessions', 'revoke')).stderr).toContain('give either SESSION_ID or --user U');
    expect(h.calls).toHaveLength(5);
  });

  it('consents list --user prints the consents; revoke takes CLIENT_ID and --user', async () => {
    const consent = {
      client_id: 'partner',
      client_name: 'Partner App',
      scopes: ['openid', 'email'],
      granted_at: T0,
      updated_at: new Date('2026-01-03T03:04:05Z'),
      user_id: 'u1',
    };
    const h = harness({
      listUserConsents: async (req) => ({ consents: req.user_id === 'u1' ? [consent] : [] }),
      revokeUserConsent: async (req) => ({ revoked: req.client_id === 'partner' }),
    });
    const list = await h.run('consents', 'list', '--user', 'u1');
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout.split('\n')[0]).toMatch(/^CLIENT +NAME +SCOPES +GRANTED +UPDATED$/);
    expect(list.stdout.split('\n')[1]).toBe('partner  Partner App  openid email  2026-01-02T03:04:05Z  2026-01-03T03:04:05Z');
    expect((await h.run('consents', 'list', '--user', 'u2')).stdout).toBe('no consents\n');
    expect(JSON.parse((await h.run('consents', 'list', '--user', 'u1', '--json')).stdout)).toEqual([
      {
        clientId: 'partner',
        clientName: 'Partner App',
        scopes: ['openid', 'email'],
        grantedAt: '2026-01-02T03:04:05.678Z',
        updatedAt: '2026-01-03T03:04:05.000Z',
        userId: 'u1',
      },
    ]);
    expect(await h.run('consents', 'revoke', 'partner', '--user', 'u1')).toMatchObject({
      code: 0,
      stdout: 'consent of user u1 to client partner withdrawn; their sessions on it ended\n',
    });
    expect((await h.run('consents', 'revoke', 'other', '--user', 'u1')).stdout).toBe(
      'user u1 had no consent to client other (any sessions of theirs on it ended)\n',
    );
    expect(JSON.parse((await h.run('consents', 'revoke', 'partner', '--user', 'u1', '--json')).stdout)).toEqual({ revoked: true });
    expect(h.calls).toEqual([
      { method: 'listUserConsents', req: { user_id: 'u1' } },
      { method: 'listUserConsents', req: { user_id: 'u2' } },
      { method: 'listUserConsents', req: { user_id: 'u1' } },
      { method: 'revokeUserConsent', req: { user_id: 'u1', client_id: 'partner' } },
      { method: 'revokeUserConsent', req: { user_id: 'u1', client_id: 'other' } },
      { method: 'revokeUserConsent', req: { user_id: 'u1', client_id: 'partner' } },
    ]);
    // Usage errors reach no server.
    for (const argv of [
      ['consents', 'list'],
      ['consents', 'revoke', 'partner'],
      ['consents', 'revoke', '--user', 'u1'],
      ['consents', 'revoke', 'a', 'b', '--user', 'u1'],
      ['consents', 'revoke', 'partner', '--user', ' '],
    ]) {
      const r = await h.run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
    }
    expect(h.calls).toHaveLength(6);
  });

  it('users unlock reports a server error', async () => {
    const h = harness({
      unlockUser: async () => {
        throw grpcError(status.NOT_FOUND, 'no such user', { reason: 'not_found' });
      },
    });
    expect(await h.run('users', 'unlock', 'nobody')).toMatchObject({ code: 1, stdout: '', stderr: 'error: not_found: no such user\n' });
  });

  it('audit list sends the filters and prints a table, newest first as the server sends them', async () => {
    const h = harness({
      listAuditEvents: async () => ({
        events: [
          auditEvent(12, { event: 'sign_in_failed', reason: 'invalid_password', detail: 'password_wrong', device_id: 'phone-1' }),
          auditEvent(11, { time: new Date('2026-01-02T03:00:00Z'), ip: '2001:db8::1', client_id: '' }),
        ],
        next_page_token: '',
      }),
    });
    const r = await h.run(
      'audit',
      'list',
      '--user',
      'u1',
      '--tenant',
      'acme',
      '--event',
      'sign_in_failed',
      '--since',
      '2026-01-01T08:00:00+08:00',
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      [
        'TIME                  EVENT           TENANT  USER  CLIENT  DEVICE   IP           REASON            DETAIL',
        '2026-01-02T03:04:05Z  sign_in_failed  acme    u1    web     phone-1  203.0.113.7  invalid_password  password_wrong',
        '2026-01-02T03:00:00Z  sign_in         acme    u1    -       -        2001:db8::1  password          -',
        '',
      ].join('\n'),
    );
    expect(h.calls).toEqual([
      {
        method: 'listAuditEvents',
        req: {
          page_size: 100,
          page_token: '',
          user_id: 'u1',
          tenant_id: 'acme',
          event: 'sign_in_failed',
          since: new Date('2026-01-01T00:00:00Z'),
        },
      },
    ]);

    // No filters: empty strings and no since, the default limit of 100.
    await h.run('audit', 'list');
    expect(h.calls.at(-1)?.req).toEqual({ page_size: 100, page_token: '', user_id: '', tenant_id: '', event: '', since: undefined });
  });

  it('audit list --since takes an age counted back from now', async () => {
    const now = new Date('2026-03-10T12:00:00Z');
    const h = harness({ listAuditEvents: async () => ({ events: [], next_page_token: '' }) }, { now });
    for (const [age, want] of [
      ['24h', '2026-03-09T12:00:00.000Z'],
      ['7d', '2026-03-03T12:00:00.000Z'],
      ['30m', '2026-03-10T11:30:00.000Z'],
      ['90s', '2026-03-10T11:58:30.000Z'],
      ['2w', '2026-02-24T12:00:00.000Z'],
    ] as const) {
      expect((await h.run('audit', 'list', '--since', age)).code).toBe(0);
      expect(h.calls.at(-1)?.req.since.toISOString(), age).toBe(want);
    }
    expect(parseSince('2026-01-01T00:00:00.123456Z', now).toISOString()).toBe('2026-01-01T00:00:00.123Z');
    expect(parseSince('2026-01-01t00:00:00z', now).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseSince('2026-01-01 05:30:00+05:30', now).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    for (const bad of ['2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00+24:00']) {
      expect(() => parseSince(bad, now), bad).toThrow(/--since must be/);
    }
    expect(parseSince('2024-02-29T23:59:59-01:00', now).toISOString()).toBe('2024-03-01T00:59:59.000Z');
  });

  it('audit list pages up to --limit and says when more events match', async () => {
    let served = 0;
    const h = harness({
      // 1 200 events on the server, served in the page sizes asked for.
      listAuditEvents: async (req) => {
        const from = req.page_token === '' ? 0 : Number(req.page_token);
        const to = Math.min(from + req.page_size, 1200);
        served += to - from;
        const events = Array.from({ length: to - from }, (_, i) => auditEvent(1200 - from - i));
        return { events, next_page_token: to < 1200 ? String(to) : '' };
      },
    });
    const some = await h.run('audit', 'list', '--limit', '3');
    expect(h.calls.map((c) => [c.req.page_size, c.req.page_token])).toEqual([[3, '']]);
    expect(some.stdout.split('\n')).toHaveLength(3 + 1 + 2);
    expect(some.stdout).toMatch(/\n\(the newest 3 shown; more match: raise --limit or narrow the filter\)\n$/);

    h.calls.length = 0;
    const many = await h.run('audit', 'list', '--limit', '1100', '--json');
    expect(h.calls.map((c) => [c.req.page_size, c.req.page_token])).toEqual([
      [500, ''],
      [500, '500'],
      [100, '1000'],
    ]);
    const events = JSON.parse(many.stdout);
    expect(events).toHaveLength(1100);
    // Proto JSON: int64 as a string, camelCase names, RFC 3339 time, every field present.
    expect(events[0]).toEqual({
      id: '1200',
      time: T0.toISOString(),
      event: 'sign_in',
      tenantId: 'acme',
      userId: 'u1',
      clientId: 'web',
      deviceId: '',
      ip: '203.0.113.7',
      reason: 'password',
      detail: '',
    });

    h.calls.length = 0;
    const all = await h.run('audit', 'list', '--limit', '5000');
    expect(h.calls.map((c) => c.req.page_size)).toEqual([500, 500, 500]);
    expect(all.stdout.trimEnd().split('\n')).toHaveLength(1201);
    expect(all.stdout).not.toContain('more match');
    expect(served).toBe(3 + 1100 + 1200);
  });

  it('audit list stops when the server repeats a page token', async () => {
    const h = harness({ listAuditEvents: async () => ({ events: [auditEvent(1)], next_page_token: 'same' }) });
    expect(await h.run('audit', 'list')).toMatchObject({ code: 1, stderr: 'error: the server repeated a page token\n' });
  });

  it('prints "no …" for empty lists, [] with --json', async () => {
    const h = harness({ listTenants: async () => ({ tenants: [], next_page_token: '' }) });
    expect((await h.run('tenants', 'list')).stdout).toBe('no tenants\n');
    expect((await h.run('tenants', 'list', '--json')).stdout).toBe('[]\n');
    const audit = harness({ listAuditEvents: async () => ({ events: [], next_page_token: '' }) });
    expect((await audit.run('audit', 'list')).stdout).toBe('no audit events\n');
    expect((await audit.run('audit', 'list', '--json')).stdout).toBe('[]\n');
  });

  it('stops when the server repeats a page token', async () => {
    const h = harness({ listUsers: async () => ({ users: [user('u1')], next_page_token: 'same' }) });
    const r = await h.run('users', 'list');
    expect(r).toMatchObject({ code: 1, stderr: 'error: the server repeated a page token\n' });
  });
});

describe('errors', () => {
  it('prints the ErrorInfo reason, the message and field violations; exit 1', async () => {
    const h = harness({
      createTenant: async () => {
        throw grpcError(status.INVALID_ARGUMENT, 'invalid request', {
          reason: 'invalid_argument',
          violations: [['tenant_id', 'must match [a-z0-9-]+']],
        });
      },
      disableTenant: async () => {
        throw grpcError(status.NOT_FOUND, 'no such tenant', { reason: 'not_found' });
      },
    });
    const bad = await h.run('tenants', 'create', '--id', 'Bad!');
    expect(bad).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'error: invalid_argument: invalid request\n  tenant_id: must match [a-z0-9-]+\n',
    });
    expect(await h.run('tenants', 'disable', 'x')).toMatchObject({ code: 1, stderr: 'error: not_found: no such tenant\n' });
  });

  it('names the status code when there is no ErrorInfo, with a hint for a bad token', async () => {
    const h = harness({
      listTenants: async () => {
        throw grpcError(status.UNAUTHENTICATED, 'bad token');
      },
    });
    const r = await h.run('tenants', 'list');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: unauthenticated: bad token\nhint: check SIGNET_ADMIN_TOKEN (or the admin-token file in SIGNET_DATA_DIR) against the server\n',
    );
  });

  it('exit 3 with a hint when the admin API is unreachable', async () => {
    const h = harness({
      listTenants: async () => {
        throw grpcError(status.UNAVAILABLE, 'No connection established');
      },
    });
    const r = await h.run('tenants', 'list', '--admin-url', '10.9.9.9:50052');
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      'error: cannot reach the admin API at 10.9.9.9:50052: No connection established\n' +
        'hint: is `signet serve` running? (set --admin-url or SIGNET_ADMIN_URL if it listens elsewhere)\n',
    );
  });

  it('an unavailable answer from the server itself is a server error (exit 1)', async () => {
    const h = harness({
      listTenants: async () => {
        throw grpcError(status.UNAVAILABLE, 'database down', { reason: 'unavailable' });
      },
    });
    expect(await h.run('tenants', 'list')).toMatchObject({ code: 1, stderr: 'error: unavailable: database down\n' });
  });

  it('prints unexpected errors without a stack, programming errors with one', async () => {
    const h = harness({
      listTenants: async () => {
        throw new Error('boom');
      },
      listUsers: async () => {
        throw new TypeError('x is undefined');
      },
    });
    expect(await h.run('tenants', 'list')).toMatchObject({ code: 1, stderr: 'error: boom\n' });
    const bug = await h.run('users', 'list');
    expect(bug.code).toBe(1);
    expect(bug.stderr).toMatch(/^error: TypeError: x is undefined\n\s+at /);
  });
});

describe('connection', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'signet-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to 127.0.0.1:50052, honours SIGNET_ADMIN_PORT, SIGNET_ADMIN_URL and --admin-url', () => {
    const env = { SIGNET_ADMIN_TOKEN: 'tok' };
    expect(resolveConnection(env).url).toBe('127.0.0.1:50052');
    expect(resolveConnection({ ...env, SIGNET_ADMIN_PORT: '6000' }).url).toBe('127.0.0.1:6000');
    expect(resolveConnection({ ...env, SIGNET_ADMIN_URL: 'admin.internal:7000' }).url).toBe('admin.internal:7000');
    expect(resolveConnection({ ...env, SIGNET_ADMIN_URL: 'a:1' }, 'b:2').url).toBe('b:2');
    expect(() => resolveConnection({ ...env, SIGNET_ADMIN_PORT: 'x' })).toThrow(/SIGNET_ADMIN_PORT/);
  });

  it('reads the token from SIGNET_ADMIN_TOKEN, else from <SIGNET_DATA_DIR>/admin-token', async () => {
    expect(resolveConnection({ SIGNET_ADMIN_TOKEN: ' from-env \n', SIGNET_DATA_DIR: dir }).token).toBe('from-env');
    writeFileSync(path.join(dir, 'admin-token'), 'from-file\n', { mode: 0o600 });
    expect(resolveConnection({ SIGNET_DATA_DIR: dir }).token).toBe('from-file');

    const h = harness({ listSigningKeys: async () => ({ keys: [] }) }, { env: { SIGNET_DATA_DIR: dir, LANG: 'zh_CN.UTF-8' } });
    expect((await h.run('keys', 'list')).code).toBe(0);
    expect(h.connections).toEqual([{ url: '127.0.0.1:50052', token: 'from-file', language: 'zh-CN' }]);
  });

  it('exit 3 with a hint when there is no token', async () => {
    const h = harness({}, { env: { SIGNET_DATA_DIR: path.join(dir, 'missing') } });
    const r = await h.run('keys', 'list');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: no admin token: set SIGNET_ADMIN_TOKEN/);
    expect(r.stderr).toContain('hint: is `signet serve` running?');
    expect(h.connections).toHaveLength(0);
  });

  it('maps URLs to grpc targets and the POSIX locale to a language', () => {
    expect(grpcTarget('127.0.0.1:50052')).toEqual({ target: '127.0.0.1:50052', secure: false });
    expect(grpcTarget('http://admin:50052')).toEqual({ target: 'admin:50052', secure: false });
    expect(grpcTarget('https://admin.example.com:443/')).toEqual({ target: 'admin.example.com:443', secure: true });
    expect(grpcTarget('unix:///run/signet.sock')).toEqual({ target: 'unix:///run/signet.sock', secure: false });
    expect(languageOf({ LANG: 'en_US.UTF-8' })).toBe('en-US');
    expect(languageOf({ LANG: 'en_US.UTF-8', LC_ALL: 'zh_CN.GB18030' })).toBe('zh-CN');
    expect(languageOf({ LANG: 'C.UTF-8' })).toBe('en');
    expect(languageOf({})).toBeUndefined();
  });
});

describe('serve and migrate', () => {
  it('serve loads the config and calls app.serve, then reports it is serving', async () => {
    const seen: unknown[] = [];
    const h = harness(
      {},
      {
        env: { SIGNET_GRPC_PORT: '6001' },
        app: {
          serve: async (config) => {
            seen.push(config.grpcPort);
            return { close: async () => {} };
          },
        },
      },
    );
    const r = await h.run('serve');
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(seen).toEqual([6001]);
    expect(h.serving()).toBe(1);
    expect(h.connections).toHaveLength(0);
  });

  it('migrate calls app.runMigrations', async () => {
    let ran = 0;
    const h = harness({}, { env: {}, app: { runMigrations: async () => void ran++ } });
    expect(await h.run('migrate')).toMatchObject({ code: 0, stdout: 'migrations applied\n' });
    expect(await h.run('migrate', '--json')).toMatchObject({ code: 0, stdout: '{\n  "migrated": true\n}\n' });
    expect(ran).toBe(2);
  });

  it('a bad configuration is a usage error', async () => {
    const h = harness({}, { env: { SIGNET_GRPC_PORT: 'abc' }, app: {} });
    const r = await h.run('serve');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: invalid configuration:\n {2}SIGNET_GRPC_PORT: /);
  });
});

describe('output helpers', () => {
  it('aligns tables, counting CJK as two columns, and escapes control characters', () => {
    expect(
      table(
        ['A', 'B', 'C'],
        [
          ['租户', 'x', ''],
          ['ab', undefined, 'z'],
        ],
      ),
    ).toBe(['A     B  C', '租户  x  -', 'ab    -  z'].join('\n'));
    expect(width('租户a')).toBe(5);
    expect(clean('evil\u001b[31mred\u0007')).toBe('evil\\u001b[31mred\\u0007');
    expect(
      record([
        ['a', 1],
        ['long_key', 'v\n2'],
      ]),
    ).toBe('a:        1\nlong_key: v\\u000a2');
  });

  it('renders proto JSON: camelCase names, RFC 3339 dates, undefined left out', () => {
    expect(
      toJson({ tenant_id: 'a', policy: { hide_unknown_users: true }, created_at: T0, retire_at: undefined, list: [{ a_b: 1 }] }),
    ).toEqual({
      tenantId: 'a',
      policy: { hideUnknownUsers: true },
      createdAt: '2026-01-02T03:04:05.678Z',
      list: [{ aB: 1 }],
    });
  });
});
