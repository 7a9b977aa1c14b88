// What readiness asks of the database: is it answering, and is its schema the one this build
// expects. Both are single cheap queries on the pool the requests use.
import type { Database } from './database.js';
import { defaultMigrationsDir, readMigrations } from './migrate.js';

export interface DatabaseProbes {
  /** A round trip (SELECT 1). */
  ping(): Promise<void>;
  /** The migrations of this build not (or no longer) applied: e.g. a schema restored from an old backup. */
  pendingMigrations(): Promise<string[]>;
}

export function databaseProbes(db: Database, migrationsDir = defaultMigrationsDir()): DatabaseProbes {
  const expected = readMigrations(migrationsDir).map((m) => m.name);
  return {
    async ping() {
      await db.prisma.$queryRawUnsafe('SELECT 1');
    },
    async pendingMigrations() {
      const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string }[]>(
        'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
      );
      const applied = new Set(rows.map((r) => r.migration_name));
      return expected.filter((name) => !applied.has(name));
    },
  };
}
