// Opens Signet's database: PostgreSQL when DATABASE_URL is set, otherwise an embedded PGlite
// under the data directory, so that a bare `signet serve` needs nothing installed.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Logger } from 'pino';
import { PrismaClient } from '../../gen/prisma/client.js';
import type { Storage } from '../../domain/ports.js';
import { defaultMigrationsDir, readMigrations, runMigrations, type MigrationConnection, type MigrationResult } from './migrate.js';
import type { SqlExecutor } from './sessions.js';
import { createPrismaStorage } from './storage.js';

/** DATABASE_URL value for a throw-away in-memory PGlite (tests, demos). */
export const PGLITE_MEMORY = 'pglite-memory';

export interface OpenDatabaseOptions {
  /**
   * postgresql://… (a `?schema=` parameter is honoured, as Prisma does), `pglite-memory` for an
   * in-memory PGlite, or unset/empty for a PGlite stored in `<dataDir>/pglite`.
   */
  databaseUrl?: string;
  dataDir: string;
  /** PostgreSQL schema for every table, `_prisma_migrations` included; created by migrate(). */
  schema?: string;
  logger?: Logger;
  /** Defaults to the prisma/migrations directory shipped with Signet. */
  migrationsDir?: string;
  /** How long a new PostgreSQL connection may take before the call is answered `unavailable`. Default 2000. */
  connectTimeoutMs?: number;
}

export interface Database {
  kind: 'postgresql' | 'pglite';
  prisma: PrismaClient;
  storage: Storage;
  /** PostgreSQL's connection pool (its sizes are metrics); absent on PGlite. */
  pool?: pg.Pool;
  /** Applies pending migrations; safe to call from several instances at once. */
  migrate(): Promise<MigrationResult>;
  /** Idempotent; also what storage.close() does. */
  close(): Promise<void>;
}

// Prisma's interactive-transaction defaults (2 s to get a connection, 5 s to finish) are tight
// for session starts that queue on a per-user lock behind a burst of sign-ins.
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 };

/** Which database a DATABASE_URL value opens; throws on one that opens none. */
export function databaseKind(databaseUrl: string | undefined): Database['kind'] {
  const url = databaseUrl?.trim() ?? '';
  if (url === '' || url === PGLITE_MEMORY) return 'pglite';
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgresql';
  throw new Error(`DATABASE_URL must be a postgresql:// URL or "${PGLITE_MEMORY}"; leave it unset for the embedded database`);
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  const url = opts.databaseUrl?.trim() ?? '';
  return databaseKind(url) === 'pglite' ? openPGlite(opts, url === PGLITE_MEMORY) : openPostgres(url, opts);
}

async function openPostgres(url: string, opts: OpenDatabaseOptions): Promise<Database> {
  const { connectionString, schema, poolSize } = postgresConnection(url, opts.schema);
  const pool = new pg.Pool({
    connectionString,
    ...(poolSize ? { max: poolSize } : {}),
    // Pool exhausted: a call waits for a connection as long as a transaction would, then fails.
    connectionTimeoutMillis: TRANSACTION_OPTIONS.maxWait,
    // A server that went away (or a network that drops) is noticed on idle connections too.
    keepAlive: true,
    Client: boundedConnect(opts.connectTimeoutMs ?? 2000),
  });
  pool.on('error', (err) => opts.logger?.warn({ err }, 'idle PostgreSQL connection failed'));
  const adapter = new PrismaPg(pool, { schema, statementNameGenerator: statementNames() });
  const prisma = new PrismaClient({ adapter, transactionOptions: TRANSACTION_OPTIONS });
  const close = once(async () => {
    await prisma.$disconnect();
    await pool.end();
  });
  const migrate = async (): Promise<MigrationResult> => {
    // A connection of its own: Prisma's advisory lock is held by the session, not a pool.
    const client = new pg.Client({ connectionString });
    client.on('error', () => undefined); // a dropped connection also fails the pending query
    await client.connect();
    try {
      const conn: MigrationConnection = {
        advisoryLock: true,
        query: async (sql, params) => (await client.query(sql, params)).rows,
        exec: async (script) => void (await client.query(script)),
      };
      return await runMigrations(conn, { migrations: loadMigrations(opts), schema, logger: opts.logger });
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const sql: SqlExecutor = {
    query: async (name, text, values) => (await pool.query({ name, text, values })).rows,
    execute: async (name, text, values) => (await pool.query({ name, text, values })).rowCount ?? 0,
  };
  return { kind: 'postgresql', prisma, storage: createPrismaStorage(prisma, { close, sql }), pool, migrate, close };
}

async function openPGlite(opts: OpenDatabaseOptions, inMemory: boolean): Promise<Database> {
  // Imported here, not at the top: a server on PostgreSQL never loads PGlite and its adapter.
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import('@electric-sql/pglite'), import('pglite-prisma-adapter')]);
  let db: PGlite;
  if (inMemory) {
    db = await PGlite.create();
  } else {
    const dir = path.resolve(opts.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    db = await PGlite.create(dir);
  }
  // The adapter is typed against an older @prisma/driver-adapter-utils; the interface is the same.
  const adapter = new PrismaPGlite(db) as unknown as NonNullable<ConstructorParameters<typeof PrismaClient>[0]['adapter']>;
  await db.exec("SET TIME ZONE 'UTC'"); // see postgresConnection(); PGlite's default, made certain
  const prisma = new PrismaClient({ adapter, transactionOptions: TRANSACTION_OPTIONS });
  const close = once(async () => {
    await prisma.$disconnect();
    if (!db.closed) await db.close();
  });
  // PGlite is one connection owned by this process, so no advisory lock; calls are serialised here.
  let queue: Promise<unknown> = Promise.resolve();
  const migrate = (): Promise<MigrationResult> => {
    const conn: MigrationConnection = {
      advisoryLock: false,
      query: async (sql, params) => (await db.query<Record<string, unknown>>(sql, params)).rows,
      exec: async (script) => void (await db.exec(script)),
    };
    const run = queue.then(() => runMigrations(conn, { migrations: loadMigrations(opts), logger: opts.logger }));
    queue = run.catch(() => undefined);
    return run;
  };
  const sql: SqlExecutor = {
    query: async <T>(_name: string, text: string, values: unknown[]) => (await db.query<T>(text, values)).rows,
    execute: async (_name, text, values) => (await db.query(text, values)).affectedRows ?? 0,
  };
  return { kind: 'pglite', prisma, storage: createPrismaStorage(prisma, { close, sql }), migrate, close };
}

/**
 * pg's Client with its own, shorter connect timeout: the pool's timeout (above) also bounds the
 * wait for a busy pool, which bursts legitimately make long, while a connection that takes more
 * than a moment to open means the server is away. Refused and cut connections fail at once.
 */
function boundedConnect(timeoutMs: number) {
  return class extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: timeoutMs });
    }
  } as unknown as new () => pg.ClientBase;
}

function loadMigrations(opts: OpenDatabaseOptions) {
  return readMigrations(opts.migrationsDir ?? defaultMigrationsDir());
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * Moves Prisma's URL parameters (`schema`, `connection_limit`) out of the URL, which pg would
 * otherwise ignore, and pins two session settings: search_path, so raw SQL and migrations land in
 * the same schema as Prisma's generated queries; and TimeZone=UTC, because the adapter sends
 * dates as UTC wall-clock text without an offset and reads timestamptz back ignoring the offset,
 * so any other server time zone would shift every stored instant against now().
 */
export function postgresConnection(url: string, schemaOption?: string) {
  const u = new URL(url);
  const schema = schemaOption ?? (u.searchParams.get('schema') || 'public');
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name "${schema}"`);
  const limit = Number(u.searchParams.get('connection_limit') ?? '');
  u.searchParams.delete('schema');
  u.searchParams.delete('connection_limit');
  const options = [u.searchParams.get('options'), `-c search_path=${schema} -c TimeZone=UTC`].filter(Boolean).join(' ');
  u.searchParams.set('options', options);
  return {
    connectionString: u.toString(),
    schema,
    poolSize: Number.isInteger(limit) && limit > 0 ? limit : undefined,
  };
}

/**
 * Names Prisma's statements so pg prepares each once per connection instead of parsing and
 * planning it on every call. Bounded: queries with varying shapes (IN lists) fall back to unnamed
 * statements once the table is full. (Named statements need session pooling if a PgBouncer sits
 * in between, as do the advisory locks.)
 */
function statementNames(max = 2000): (q: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined) {
      if (names.size >= max) return '';
      name = `signet_${names.size}`;
      names.set(sql, name);
    }
    return name;
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
