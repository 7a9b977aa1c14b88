// The CLI's connection to a running server's AdminService (gRPC, admin listener). The CLI never
// opens the database: the server owns it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import type {
  Client,
  CreateClientRequest,
  CreateClientResponse,
  CreateTenantRequest,
  CreateUserRequest,
  DisableClientRequest,
  DisableTenantRequest,
  UpdateTenantRequest,
  DisableUserRequest,
  ListAuditEventsRequest,
  ListAuditEventsResponse,
  ListSessionsRequest,
  ListSessionsResponse,
  ListUserConsentsRequest,
  ListUserConsentsResponse,
  RevokeUserConsentRequest,
  RevokeUserConsentResponse,
  RevokeSessionRequest,
  RevokeSessionResponse,
  RevokeUserSessionsRequest,
  RevokeUserSessionsResponse,
  ListClientsRequest,
  ListClientsResponse,
  ListSigningKeysRequest,
  ListSigningKeysResponse,
  ListTenantsRequest,
  ListTenantsResponse,
  ListUsersRequest,
  ListUsersResponse,
  ListTransportKeysRequest,
  ListTransportKeysResponse,
  RotateSigningKeyRequest,
  RotateTransportKeyRequest,
  SigningKey,
  Tenant,
  TransportKey,
  UnlockUserRequest,
  UpdateClientRequest,
  UpdateUserRequest,
  User,
} from '../gen/signet/auth/v1/admin.js';
import type {
  AddTicketKeyRequest,
  ListTicketKeysRequest,
  ListTicketKeysResponse,
  RemoveTicketKeyRequest,
  RemoveTicketKeyResponse,
  TicketKey,
} from '../gen/signet/auth/v1/ticket.js';
import { AdminServiceClient } from '../gen/signet/auth/v1/admin_service.js';
import { CliError, EXIT } from './errors.js';

/** The AdminService calls the CLI makes, as promises. Tests pass a fake. */
export interface AdminApi {
  createTenant(req: CreateTenantRequest): Promise<Tenant>;
  listTenants(req: ListTenantsRequest): Promise<ListTenantsResponse>;
  disableTenant(req: DisableTenantRequest): Promise<Tenant>;
  updateTenant(req: UpdateTenantRequest): Promise<Tenant>;
  createClient(req: CreateClientRequest): Promise<CreateClientResponse>;
  listClients(req: ListClientsRequest): Promise<ListClientsResponse>;
  updateClient(req: UpdateClientRequest): Promise<Client>;
  disableClient(req: DisableClientRequest): Promise<Client>;
  createUser(req: CreateUserRequest): Promise<User>;
  listUsers(req: ListUsersRequest): Promise<ListUsersResponse>;
  updateUser(req: UpdateUserRequest): Promise<User>;
  disableUser(req: DisableUserRequest): Promise<User>;
  unlockUser(req: UnlockUserRequest): Promise<User>;
  listAuditEvents(req: ListAuditEventsRequest): Promise<ListAuditEventsResponse>;
  listSigningKeys(req: ListSigningKeysRequest): Promise<ListSigningKeysResponse>;
  rotateSigningKey(req: RotateSigningKeyRequest): Promise<SigningKey>;
  listTransportKeys(req: ListTransportKeysRequest): Promise<ListTransportKeysResponse>;
  rotateTransportKey(req: RotateTransportKeyRequest): Promise<TransportKey>;
  listSessions(req: ListSessionsRequest): Promise<ListSessionsResponse>;
  revokeSession(req: RevokeSessionRequest): Promise<RevokeSessionResponse>;
  revokeUserSessions(req: RevokeUserSessionsRequest): Promise<RevokeUserSessionsResponse>;
  listUserConsents(req: ListUserConsentsRequest): Promise<ListUserConsentsResponse>;
  revokeUserConsent(req: RevokeUserConsentRequest): Promise<RevokeUserConsentResponse>;
  addTicketKey(req: AddTicketKeyRequest): Promise<TicketKey>;
  listTicketKeys(req: ListTicketKeysRequest): Promise<ListTicketKeysResponse>;
  removeTicketKey(req: RemoveTicketKeyRequest): Promise<RemoveTicketKeyResponse>;
  close(): void;
}

export interface AdminConnection {
  /** As given: host:port, http(s)://host:port or any grpc-js target (unix:/path, dns:///…). */
  url: string;
  token: string;
  /** Sent as accept-language so that server messages come in the user's language. */
  language?: string;
}

const METHODS = [
  'createTenant',
  'listTenants',
  'disableTenant',
  'updateTenant',
  'createClient',
  'listClients',
  'updateClient',
  'disableClient',
  'createUser',
  'listUsers',
  'updateUser',
  'disableUser',
  'unlockUser',
  'listAuditEvents',
  'listSigningKeys',
  'rotateSigningKey',
  'listTransportKeys',
  'rotateTransportKey',
  'listSessions',
  'revokeSession',
  'revokeUserSessions',
  'listUserConsents',
  'revokeUserConsent',
  'addTicketKey',
  'listTicketKeys',
  'removeTicketKey',
] as const satisfies readonly Exclude<keyof AdminApi, 'close'>[];

const DEADLINE_MS = 30_000;

/** Where the admin API is and the token for it: flag, then environment, then the token file. */
export function resolveConnection(env: Record<string, string | undefined>, adminUrl?: string): AdminConnection {
  let url = adminUrl ?? env.SIGNET_ADMIN_URL;
  if (!url) {
    const port = env.SIGNET_ADMIN_PORT || '50052';
    if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      throw new CliError(`SIGNET_ADMIN_PORT must be a port number, got "${port}"`, EXIT.USAGE);
    }
    url = `127.0.0.1:${port}`;
  }
  url = url.trim();
  if (!url) throw new CliError('the admin URL is empty', EXIT.USAGE);
  return { url, token: readToken(env), language: languageOf(env) };
}

/** The POSIX locale (LC_ALL, LC_MESSAGES, LANG) as a language tag: zh_CN.UTF-8 → zh-CN, C → en. */
export function languageOf(env: Record<string, string | undefined>): string | undefined {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG;
  if (!locale) return undefined;
  if (locale === 'C' || locale === 'POSIX' || locale.startsWith('C.')) return 'en';
  const tag = locale.split(/[.@]/)[0].replace(/_/g, '-');
  return /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(tag) ? tag : undefined;
}

function readToken(env: Record<string, string | undefined>): string {
  const fromEnv = env.SIGNET_ADMIN_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const file = path.join(env.SIGNET_DATA_DIR || './data', 'admin-token');
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CliError(
        `no admin token: set SIGNET_ADMIN_TOKEN, or SIGNET_DATA_DIR to the server's data directory (${file} does not exist)`,
        EXIT.UNREACHABLE,
        'is `signet serve` running? It writes the token file on its first start',
      );
    }
    throw new CliError(`cannot read the admin token from ${file}: ${code ?? (err as Error).message}`, EXIT.SERVER);
  }
  if (!token) throw new CliError(`the admin token file ${file} is empty`, EXIT.SERVER);
  return token;
}

/** A grpc-js AdminService client sending the admin token as a bearer token. */
export function connectAdmin(conn: AdminConnection): AdminApi {
  const { target, secure } = grpcTarget(conn.url);
  const client = new AdminServiceClient(target, secure ? credentials.createSsl() : credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${conn.token}`);
  if (conn.language) metadata.set('accept-language', conn.language);
  const untyped = client as unknown as Record<
    string,
    (req: unknown, md: Metadata, opts: { deadline: Date }, cb: (err: ServiceError | null, res: unknown) => void) => void
  >;
  const api = { close: () => client.close() } as Record<string, unknown>;
  for (const method of METHODS) {
    api[method] = (req: unknown) =>
      new Promise((resolve, reject) => {
        untyped[method].call(client, req, metadata, { deadline: new Date(Date.now() + DEADLINE_MS) }, (err, res) =>
          err ? reject(err) : resolve(res),
        );
      });
  }
  return api as unknown as AdminApi;
}

/** http://h:p is plaintext, https://h:p is TLS; anything else is a grpc-js target, plaintext. */
export function grpcTarget(url: string): { target: string; secure: boolean } {
  const m = /^(https?):\/\/([^/]+)\/?$/i.exec(url);
  if (m) return { target: m[2], secure: m[1].toLowerCase() === 'https' };
  return { target: url, secure: false };
}
