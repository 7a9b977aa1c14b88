// Turns constraint violations into SignetErrors naming the API field, so that no SQL or Prisma text
// reaches a client. Both adapters report the violated constraint in the driver's original message
// (adapter-pg also gives the index name, the PGlite adapter the column list), so the name is read
// from there. The driver error is deliberately not kept as the cause: its text names tables and
// values, and a SignetError may be rendered or logged anywhere. Also tells an outage (unreachable,
// cut, timed out, pool exhausted) from a bug, for the storage boundary (../unavailable.ts).
import { SignetError } from '../../domain/errors.js';
import { causes, SOCKET_CODES } from '../unavailable.js';

/** Primary keys, by table, as the API names them. */
const ID_FIELDS: Record<string, string> = {
  tenants: 'tenant_id',
  clients: 'client_id',
  users: 'user_id',
  sessions: 'session_id',
  // (user_id, client_id): the client is the part a caller chooses.
  consents: 'client_id',
  refresh_tokens: 'refresh_token',
  signing_keys: 'kid',
  transport_keys: 'thumbprint',
  ticket_keys: 'kid',
  user_identities: 'subject',
};

interface AdapterCause {
  originalCode?: string;
  originalMessage?: string;
  kind?: string;
  constraint?: { index?: string; fields?: string[] };
}

/**
 * The driver's error, whether Prisma wrapped it (meta.driverAdapterError) or it came straight from
 * pg / PGlite (the refresh path runs on the driver): both carry the SQLSTATE and the message.
 */
function adapterCause(e: unknown): AdapterCause | undefined {
  const meta = (e as { meta?: { driverAdapterError?: { cause?: AdapterCause } } } | null)?.meta;
  if (meta?.driverAdapterError?.cause) return meta.driverAdapterError.cause;
  const raw = e as { code?: unknown; message?: unknown; constraint?: unknown; severity?: unknown } | null;
  if (raw && typeof raw.code === 'string' && /^[0-9A-Z]{5}$/.test(raw.code) && typeof raw.severity === 'string') {
    return {
      originalCode: raw.code,
      originalMessage: String(raw.message),
      constraint: typeof raw.constraint === 'string' ? { index: raw.constraint } : undefined,
    };
  }
  return undefined;
}

function constraintName(cause: AdapterCause): string | undefined {
  return /constraint "([^"]+)"/.exec(cause.originalMessage ?? '')?.[1] ?? cause.constraint?.index;
}

/** The API field a unique index or foreign key is about: users_tenant_id_user_type_email_key → email. */
export function fieldOf(constraint: string | undefined, fields: string[] | undefined): string {
  if (constraint) {
    const pkey = /^(\w+)_pkey$/.exec(constraint);
    if (pkey && ID_FIELDS[pkey[1]]) return ID_FIELDS[pkey[1]];
    const login = /^users_tenant_id_user_type_(\w+)_key$/.exec(constraint);
    if (login) return login[1];
    for (const table of Object.keys(ID_FIELDS)) {
      const fk = new RegExp(`^${table}_(\\w+)_fkey$`).exec(constraint);
      if (fk) return fk[1];
    }
  }
  // The PGlite adapter's column list, when the message named no constraint: the last column of
  // a composite key is the one the caller chose.
  return fields?.at(-1) ?? 'unknown';
}

/**
 * Rethrows a Prisma error as the SignetError it stands for: a unique violation is
 * already_exists, a dangling reference not_found, each naming the field. Anything else is
 * rethrown untouched (a bug or an outage, rendered as internal/unavailable by the transport).
 */
export function translateError(e: unknown, idField?: string): never {
  const cause = adapterCause(e);
  const code = cause?.originalCode;
  if (cause && (cause.kind === 'UniqueConstraintViolation' || code === '23505')) {
    const name = constraintName(cause);
    let field = fieldOf(name, cause.constraint?.fields);
    if (field === 'id' && idField) field = idField;
    throw new SignetError('already_exists', 'unique_violation', { metadata: { field } });
  }
  if (cause && (cause.kind === 'ForeignKeyConstraintViolation' || code === '23503')) {
    throw new SignetError('not_found', 'reference_missing', {
      metadata: { field: fieldOf(constraintName(cause), cause.constraint?.fields) },
    });
  }
  throw e;
}

/** Runs `fn`, translating constraint violations. */
export async function guard<T>(fn: () => Promise<T>, idField?: string): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    translateError(e, idField);
  }
}

/** Prisma's codes for a database that is away or saturated (not for a query that is wrong). */
const PRISMA_DOWN = new Set(['P1001', 'P1002', 'P1008', 'P1011', 'P1017', 'P2024', 'P2028', 'P2037']);
/** The driver adapters' kinds for the same. */
const ADAPTER_DOWN = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);
/**
 * SQLSTATEs: 08 connection exceptions, 53 insufficient resources, 57P01-03 the server shutting
 * down or starting, 57014 a statement cancelled (timeout), 58 system errors.
 */
const SQLSTATE_DOWN = /^(08|53|58)...$|^57P0[123]$|^57014$/;
/** pg's own errors carry no code: a cut connection, a connect timeout, a pool shut down. */
const PG_DOWN =
  /^Connection terminated|^timeout expired$|timeout exceeded when trying to connect|is not queryable|Cannot use a pool after calling end|Can't reach database server|Query read timeout/;

/**
 * True when a database call failed because PostgreSQL is unreachable, cut the connection, timed
 * out or has no connection to spare: what storage answers as `unavailable` (unavailable.ts).
 */
export function isDatabaseDown(err: unknown): boolean {
  for (const e of causes(err)) {
    if (e.name === 'PrismaClientInitializationError') return true;
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (PRISMA_DOWN.has(code) || SOCKET_CODES.has(code))) return true;
    if (code && typeof e.severity === 'string' && SQLSTATE_DOWN.test(code)) return true;
    if (typeof e.kind === 'string' && ADAPTER_DOWN.has(e.kind)) return true;
    if (typeof e.originalCode === 'string' && SQLSTATE_DOWN.test(e.originalCode)) return true;
    if (typeof e.message === 'string' && PG_DOWN.test(e.message)) return true;
  }
  return false;
}
