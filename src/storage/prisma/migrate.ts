// Applies prisma/migrations the way `prisma migrate deploy` does, without Prisma's native schema
// engine (it cannot be downloaded where Signet runs). The bookkeeping is Prisma's own, row for
// row, so `prisma migrate deploy` / `status` on a machine that has the engine accept the database
// and carry on from where Signet left off.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

/** Prisma's lock id: `prisma migrate` and Signet instances exclude each other. */
export const PRISMA_MIGRATE_LOCK_ID = 72707369;

/** Exactly the DDL Prisma's schema engine uses for PostgreSQL. */
const MIGRATIONS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** One connection (never a pool): the session-level advisory lock belongs to it. */
export interface MigrationConnection {
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs a multi-statement script (simple query protocol). */
  exec(script: string): Promise<void>;
  /** Whether to take Prisma's advisory lock; false for PGlite, which one process owns. */
  readonly advisoryLock: boolean;
}

export interface LocalMigration {
  name: string;
  script: string;
  /** Lower-case hex SHA-256 of the migration.sql bytes, as Prisma records it. */
  checksum: string;
}

export interface MigrationResult {
  /** Names applied by this call, in order. */
  applied: string[];
  /** Migrations already applied before this call. */
  alreadyApplied: number;
  /** Edited or unknown migrations, reported as Prisma does but not fatal. */
  warnings: string[];
}

/** A migration failed now or earlier; Signet must not start on a half-migrated schema. */
export class MigrationError extends Error {
  readonly migrationName: string;
  constructor(migrationName: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'MigrationError';
    this.migrationName = migrationName;
  }
}

/** prisma/migrations, found upwards from this module so that src/ and dist/ both work. */
export function defaultMigrationsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(path.join(candidate, 'migration_lock.toml'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`prisma/migrations not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function readMigrations(dir: string): LocalMigration[] {
  const lockFile = path.join(dir, 'migration_lock.toml');
  if (existsSync(lockFile)) {
    const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(readFileSync(lockFile, 'utf8'))?.[1];
    if (provider !== undefined && provider !== 'postgresql') {
      throw new Error(`${lockFile} names provider "${provider}"; Signet migrates PostgreSQL only`);
    }
  }
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory() && existsSync(path.join(dir, name, 'migration.sql')))
    .sort()
    .map((name) => {
      const bytes = readFileSync(path.join(dir, name, 'migration.sql'));
      return { name, script: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    });
}

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
  started_at: Date | string;
}

/**
 * Applies every migration not yet applied, each once even when several instances start at the
 * same moment (they queue on Prisma's advisory lock and then find the work done).
 */
export async function runMigrations(
  conn: MigrationConnection,
  opts: { migrations: LocalMigration[]; schema?: string; logger?: Logger },
): Promise<MigrationResult> {
  const { migrations, schema, logger } = opts;
  if (conn.advisoryLock) {
    const [got] = await conn.query(`SELECT pg_try_advisory_lock(${PRISMA_MIGRATE_LOCK_ID}) AS locked`);
    if (got?.locked !== true) {
      // Unlike Prisma (which gives up after 10 s) wait: the holder is usually another instance
      // applying the same migrations, and it may take longer than that.
      logger?.info(`waiting for the migration lock (pg_advisory_lock(${PRISMA_MIGRATE_LOCK_ID})) held by another session`);
      await conn.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATE_LOCK_ID})`);
    }
  }
  try {
    // Created under the lock: concurrent CREATE SCHEMA IF NOT EXISTS races on pg_namespace.
    if (schema !== undefined) {
      const found = await conn.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (found.length === 0) await conn.exec(`CREATE SCHEMA ${quoteIdent(schema)}`);
    }
    await conn.exec(MIGRATIONS_TABLE_DDL);
    const rows = (await conn.query(
      `SELECT id, checksum, migration_name, finished_at, rolled_back_at, started_at
         FROM "_prisma_migrations" ORDER BY started_at ASC`,
    )) as unknown as MigrationRow[];

    const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed) throw failedMigrationError(failed);

    const applied = rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null);
    const warnings: string[] = [];
    const local = new Map(migrations.map((m) => [m.name, m]));
    for (const r of applied) {
      const m = local.get(r.migration_name);
      if (!m) warnings.push(`The migration \`${r.migration_name}\` is applied to the database but missing from the migrations directory.`);
      else if (m.checksum !== r.checksum) warnings.push(`The migration \`${r.migration_name}\` was modified after it was applied.`);
    }
    for (const w of warnings) logger?.warn(w);

    const done = new Set(applied.map((r) => r.migration_name));
    const result: MigrationResult = { applied: [], alreadyApplied: done.size, warnings };
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      await applyOne(conn, m, logger);
      result.applied.push(m.name);
    }
    if (result.applied.length > 0) logger?.info({ applied: result.applied }, 'database migrations applied');
    return result;
  } finally {
    if (conn.advisoryLock) {
      await conn.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK_ID})`).catch(() => undefined);
    }
  }
}

async function applyOne(conn: MigrationConnection, m: LocalMigration, logger?: Logger): Promise<void> {
  logger?.info({ migration: m.name }, 'applying database migration');
  const id = randomUUID();
  // Recorded before the script runs, as Prisma does: a crash mid-way leaves a failed row that
  // stops every instance until someone looks at the database.
  await conn.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ($1, $2, $3)', [id, m.checksum, m.name]);
  try {
    await conn.exec('BEGIN');
    await conn.exec(m.script);
    await conn.query(
      `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = applied_steps_count + 1
        WHERE id = $1`,
      [id],
    );
    await conn.exec('COMMIT');
  } catch (e) {
    await conn.exec('ROLLBACK').catch(() => undefined);
    const logs = migrationLogs(m.name, e);
    await conn.query('UPDATE "_prisma_migrations" SET logs = $1 WHERE id = $2', [logs, id]).catch(() => undefined);
    logger?.error({ migration: m.name }, logs);
    throw new MigrationError(m.name, `${logs}\n\n${resolveHint(m.name)}`, e);
  }
}

/** The shape of Prisma's own log entry for a failed migration (P3018). */
function migrationLogs(name: string, e: unknown): string {
  const err = e as { code?: unknown; message?: unknown; position?: unknown };
  const lines = [`Migration name: ${name}`];
  if (typeof err.code === 'string') lines.push(`Database error code: ${err.code}`);
  lines.push(`Database error:\n${typeof err.message === 'string' ? err.message : String(e)}`);
  return lines.join('\n\n');
}

function failedMigrationError(r: MigrationRow): MigrationError {
  const started = r.started_at instanceof Date ? r.started_at.toISOString() : String(r.started_at);
  return new MigrationError(
    r.migration_name,
    `The database migration \`${r.migration_name}\` (started at ${started}) failed and is recorded as ` +
      'failed in "_prisma_migrations"; no further migrations are applied and Signet will not start until ' +
      `it is resolved. Its error is in the "logs" column of that row.\n${resolveHint(r.migration_name)}`,
  );
}

function resolveHint(name: string): string {
  return (
    'To resolve: repair the database by hand, then either mark the migration rolled back so that it is ' +
    `applied again (\`npx prisma migrate resolve --rolled-back ${name}\`, or ` +
    `UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '${name}' AND finished_at IS NULL), ` +
    `or mark it applied if you completed it by hand (\`npx prisma migrate resolve --applied ${name}\`). ` +
    'See https://pris.ly/d/migrate-resolve'
  );
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
