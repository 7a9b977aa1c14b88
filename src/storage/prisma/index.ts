// PostgreSQL / PGlite storage. Server start and `signet migrate` both go through openDatabase():
//
//   const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
//   await db.migrate();           // applies prisma/migrations under Prisma's advisory lock
//   use(db.storage); … await db.close();
//
// databaseUrl: postgresql://… (honours ?schema=), 'pglite-memory' (PGLITE_MEMORY) for a throw-away
// in-memory database, or unset for the embedded PGlite in <dataDir>/pglite.
export { databaseKind, openDatabase, postgresConnection, PGLITE_MEMORY } from './database.js';
export type { Database, OpenDatabaseOptions } from './database.js';
export {
  defaultMigrationsDir,
  MigrationError,
  PRISMA_MIGRATE_LOCK_ID,
  readMigrations,
  runMigrations,
} from './migrate.js';
export type { LocalMigration, MigrationConnection, MigrationResult } from './migrate.js';
export { databaseProbes, type DatabaseProbes } from './health.js';
export { createPrismaStorage } from './storage.js';
export type { PrismaStorageOptions } from './storage.js';
export { prismaExecutor, REVOKE_REASONS } from './sessions.js';
export type { SqlExecutor } from './sessions.js';
export type { PrismaClient } from '../../gen/prisma/client.js';
