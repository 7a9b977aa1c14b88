// Test databases. PostgreSQL suites each get a schema of their own in the shared test database
// (created by migrate(), dropped by cleanup()), so test files run in parallel; PGlite suites get a
// fresh in-memory instance.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, PGLITE_MEMORY, type Database, type OpenDatabaseOptions } from '../../src/storage/prisma/index.js';

export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export type BackendKind = 'postgresql' | 'pglite';
export const BACKENDS: BackendKind[] = ['postgresql', 'pglite'];

/** Lower-case, unquoted-identifier safe, unique across parallel test processes. */
export function uniqueSchema(label: string): string {
  return `test_${label.replace(/\W/g, '_').toLowerCase()}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export interface TestDatabase {
  db: Database;
  /** Set for PostgreSQL. */
  schema?: string;
  /** Closes the database and drops its schema. */
  cleanup(): Promise<void>;
}

/** Opens a database of the given kind; migrated unless `migrate: false`. */
export async function openTestDatabase(
  kind: BackendKind,
  label: string,
  opts: { migrate?: boolean; migrationsDir?: string; schema?: string } = {},
): Promise<TestDatabase> {
  const base: OpenDatabaseOptions = { dataDir: '/nonexistent', migrationsDir: opts.migrationsDir };
  if (kind === 'pglite') {
    const db = await openDatabase({ ...base, databaseUrl: PGLITE_MEMORY });
    if (opts.migrate !== false) await db.migrate();
    return { db, cleanup: () => db.close() };
  }
  const schema = opts.schema ?? uniqueSchema(label);
  const db = await openDatabase({ ...base, databaseUrl: TEST_DATABASE_URL, schema });
  if (opts.migrate !== false) await db.migrate();
  return {
    db,
    schema,
    async cleanup() {
      await db.close();
      await dropSchema(schema);
    },
  };
}

/** Runs SQL on a plain connection to the test database (outside any Signet code). */
export async function withPg<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await withPg((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}
