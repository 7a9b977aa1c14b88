// signet clients create | update | list | disable
import type { Client } from '../gen/signet/auth/v1/admin.js';
import { list, oneOf, positiveInt, str, type CommandSpec } from './args.js';
import { date, joined, record, table } from './output.js';
import { listAll } from './paging.js';
import { onOff } from './tenants.js';

export function clientRecord(c: Client): string {
  return record([
    ['client_id', c.client_id],
    ['tenant_id', c.tenant_id],
    ['name', c.name],
    ['client_type', c.client_type],
    ['status', c.status],
    ['grant_types', joined(c.grant_types)],
    ['scopes', joined(c.scopes)],
    ['access_token_ttl_seconds', c.access_token_ttl_seconds],
    ['refresh_token_ttl_seconds', c.refresh_token_ttl_seconds],
    ['max_sessions', c.max_sessions],
    ['password_encryption', c.password_encryption],
    ['reject_replayed_passwords', c.reject_replayed_passwords],
    ['redirect_uris', joined(c.redirect_uris)],
    ['first_party', c.first_party],
    ['custom_ticket_sign_up', c.custom_ticket_sign_up],
    ['created_at', date(c.created_at)],
    ['updated_at', date(c.updated_at)],
  ]);
}

export function clientTable(clients: Client[]): string {
  if (clients.length === 0) return 'no clients';
  return table(
    ['ID', 'TENANT', 'TYPE', 'STATUS', 'GRANT_TYPES', 'SCOPES', 'NAME'],
    clients.map((c) => [c.client_id, c.tenant_id, c.client_type, c.status, joined(c.grant_types), joined(c.scopes), c.name]),
  );
}

const CREATE = 'clients create';
const UPDATE = 'clients update';
const PASSWORD_ENCRYPTIONS = ['none', 'rsa', 'required'] as const;

export const clientCommands: CommandSpec[] = [
  {
    path: ['clients', 'create'],
    summary: 'register an OAuth client; a confidential client gets a secret, shown once',
    options: {
      id: 'client id',
      tenant: 'the tenant the client belongs to',
      name: 'display name',
      public: 'a public client (no secret), e.g. a browser or mobile app',
      'grant-types':
        'allowed grant types, comma-separated (password, refresh_token, client_credentials, authorization_code, sms, urn:ietf:params:oauth:grant-type:token-exchange)',
      scopes: 'allowed scopes, comma-separated',
      'access-ttl': 'access token lifetime in seconds (default: server setting)',
      'refresh-ttl': 'refresh token lifetime in seconds (default: server setting)',
      'max-sessions': 'live sessions per user on this client (default: server setting)',
      'password-encryption': 'how passwords travel: none (as typed, default), rsa (plain or RSA-encrypted), required (RSA-encrypted only)',
      'reject-replayed-passwords': 'refuse an encrypted password whose ciphertext was used before',
      'redirect-uris': 'where authorization codes may be sent, comma-separated (https; http only for localhost), matched exactly',
      'first-party': "off: a third party's application, not the tenant's own (default on)",
      'custom-ticket-sign-up': 'on: a custom sign-in ticket for an unknown user id creates the user (default off)',
    },
    required: ['id', 'tenant'],
    notes: ['The secret is printed once; Signet keeps only its hash.'],
    async run(ctx, { values }) {
      const res = await ctx.admin().createClient({
        client_id: str(values, 'id')!,
        tenant_id: str(values, 'tenant')!,
        name: str(values, 'name') ?? '',
        public: values.public === true,
        grant_types: list(values, 'grant-types'),
        scopes: list(values, 'scopes'),
        access_token_ttl_seconds: positiveInt(values, 'access-ttl', CREATE) ?? 0,
        refresh_token_ttl_seconds: positiveInt(values, 'refresh-ttl', CREATE) ?? 0,
        max_sessions: positiveInt(values, 'max-sessions', CREATE) ?? 0,
        password_encryption: oneOf(str(values, 'password-encryption'), PASSWORD_ENCRYPTIONS, '--password-encryption', CREATE) ?? '',
        reject_replayed_passwords: values['reject-replayed-passwords'] === true,
        redirect_uris: list(values, 'redirect-uris'),
        first_party: onOff(values, 'first-party', CREATE),
        custom_ticket_sign_up: onOff(values, 'custom-ticket-sign-up', CREATE),
      });
      ctx.out.show(res, () => {
        const lines = [res.client ? clientRecord(res.client) : ''];
        if (res.client_secret) {
          lines.push(
            '',
            `client_secret: ${res.client_secret}`,
            '  ^ shown this once: store it now (Signet keeps only its hash; to replace it, create a new client)',
          );
        }
        return lines.join('\n');
      });
    },
  },
  {
    path: ['clients', 'update'],
    args: ['ID'],
    summary: "change a client's settings (only the options given change)",
    options: {
      name: 'display name',
      'grant-types': 'allowed grant types, comma-separated (replaces the list)',
      scopes: 'allowed scopes, comma-separated (replaces the list)',
      'access-ttl': 'access token lifetime in seconds',
      'refresh-ttl': 'refresh token lifetime in seconds',
      'max-sessions': 'live sessions per user on this client',
      'password-encryption': 'none, rsa or required',
      'redirect-uris': 'where authorization codes may be sent, comma-separated (replaces the list)',
      'first-party': "on: the tenant's own application; off: a third party's",
      'custom-ticket-sign-up': 'on: a custom sign-in ticket for an unknown user id creates the user',
    },
    notes: ['A list option (--grant-types, --scopes, --redirect-uris) replaces the list; give it empty ("") to clear it.'],
    async run(ctx, { args: [id], values }) {
      const given = (name: 'grant-types' | 'scopes' | 'redirect-uris') =>
        str(values, name) !== undefined ? { values: list(values, name) } : undefined;
      const client = await ctx.admin().updateClient({
        client_id: id,
        name: str(values, 'name'),
        grant_types: given('grant-types'),
        scopes: given('scopes'),
        access_token_ttl_seconds: positiveInt(values, 'access-ttl', UPDATE),
        refresh_token_ttl_seconds: positiveInt(values, 'refresh-ttl', UPDATE),
        max_sessions: positiveInt(values, 'max-sessions', UPDATE),
        password_encryption: oneOf(str(values, 'password-encryption'), PASSWORD_ENCRYPTIONS, '--password-encryption', UPDATE),
        redirect_uris: given('redirect-uris'),
        first_party: onOff(values, 'first-party', UPDATE),
        custom_ticket_sign_up: onOff(values, 'custom-ticket-sign-up', UPDATE),
      });
      ctx.out.show(client, () => clientRecord(client));
    },
  },
  {
    path: ['clients', 'list'],
    summary: 'list clients',
    options: { tenant: 'only the clients of this tenant' },
    async run(ctx, { values }) {
      const api = ctx.admin();
      const tenant_id = str(values, 'tenant') ?? '';
      const clients = await listAll(
        (page_token) => api.listClients({ page_size: 100, page_token, tenant_id }),
        (r) => r.clients,
      );
      ctx.out.show(clients, () => clientTable(clients));
    },
  },
  {
    path: ['clients', 'disable'],
    args: ['ID'],
    summary: 'disable a client: it can no longer obtain tokens',
    async run(ctx, { args: [id] }) {
      const client = await ctx.admin().disableClient({ client_id: id });
      ctx.out.show(client, () => clientRecord(client));
    },
  },
];
