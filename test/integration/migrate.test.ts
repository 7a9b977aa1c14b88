// Signet's migrator must leave exactly the bookkeeping `prisma migrate deploy` would, apply each
// migration once however many instances start together, and refuse to start past a failure.
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  defaultMigrationsDir,
  MigrationError,
  openDatabase,
  postgresConnection,
  readMigrations,
  type Database,
} from '../../src/storage/prisma/index.js';
import { BACKENDS, dropSchema, TEST_DATABASE_URL, uniqueSchema, withPg, type BackendKind } from '../helpers/db.js';

const REAL = defaultMigrationsDir();
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'signet-migrate-'));
  temps.push(d);
  return d;
}

/** A copy of the real migrations plus `extra` ones (name → SQL). */
function migrationsDir(extra: Record<string, string> = {}): string {
  const dir = path.join(tempDir(), 'migrations');
  cpSync(REAL, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function quietLogger() {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn() } as unknown as Logger & { warn: ReturnType<typeof vi.fn> };
}

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

const rowsOf = (db: Database) =>
  db.prisma.$queryRawUnsafe<MigrationRow[]>('SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name');

/** A database that can be closed and opened again, as a restarted instance would. */
function reopenable(kind: BackendKind, migrationsDir: string) {
  const schema = uniqueSchema('migrate');
  const dataDir = tempDir();
  const cleanups: (() => Promise<void>)[] = [];
  return {
    schema,
    async open(logger?: Logger): Promise<Database> {
      const db = await openDatabase(
        kind === 'postgresql'
          ? { databaseUrl: TEST_DATABASE_URL, dataDir, schema, migrationsDir, logger }
          : { dataDir, migrationsDir, logger },
      );
      cleanups.push(() => db.close());
      return db;
    },
    async cleanup() {
      for (const c of cleanups) await c();
      if (kind === 'postgresql') await dropSchema(schema);
    },
  };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('migrations on PostgreSQL', () => {
  it('applies each migration exactly once when 4 instances migrate at the same moment', async () => {
    const dir = migrationsDir({
      '20990101000000_slow': 'CREATE TABLE "slow_marker" ("id" INTEGER);\nSELECT pg_sleep(0.3);\n',
      '20990102000000_third': 'CREATE TABLE "third_marker" ("id" INTEGER);\n',
    });
    const target = reopenable('postgresql', dir);
    cleanup = target.cleanup;
    const dbs = await Promise.all([0, 1, 2, 3].map(() => target.open()));
    const results = await Promise.all(dbs.map((db) => db.migrate()));

    const local = readMigrations(dir);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(local.map((m) => m.name));
    const rows = await rowsOf(dbs[0]);
    expect(rows.map((r) => r.migration_name)).toEqual(local.map((m) => m.name));
    for (const r of rows) {
      expect(r.finished_at).toBeInstanceOf(Date);
      expect(r.rolled_back_at).toBeNull();
      expect(r.applied_steps_count).toBe(1);
      expect(r.logs).toBeNull();
      expect(r.checksum).toBe(sha256(path.join(dir, r.migration_name, 'migration.sql')));
    }
    // Everything landed in the instance's own schema.
    const tables = await withPg((c) =>
      c.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [
        target.schema,
      ]),
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      '_prisma_migrations',
      'audit_events',
      'clients',
      'consents',
      'refresh_tokens',
      'sessions',
      'signing_keys',
      'slow_marker',
      'tenants',
      'third_marker',
      'ticket_keys',
      'transport_keys',
      'user_identities',
      'users',
    ]);
  });

  it('honours ?schema= in the URL, as Prisma does, and pins search_path and UTC', async () => {
    const schema = uniqueSchema('urlschema');
    cleanup = () => dropSchema(schema);
    const db = await openDatabase({ databaseUrl: `${TEST_DATABASE_URL}?schema=${schema}`, dataDir: tempDir() });
    try {
      await db.migrate();
      const [row] = await db.prisma.$queryRawUnsafe<{ s: string; tz: string }[]>(
        `SELECT current_schema() AS s, current_setting('TimeZone') AS tz`,
      );
      expect(row).toEqual({ s: schema, tz: 'UTC' });
      expect(await db.storage.tenants.get('x')).toBeNull();
    } finally {
      await db.close();
    }
    const conn = postgresConnection('postgresql://u@h:5432/d?schema=abc&connection_limit=4&sslmode=disable');
    expect(conn).toMatchObject({ schema: 'abc', poolSize: 4 });
    expect(new URL(conn.connectionString).searchParams.get('options')).toBe('-c search_path=abc -c TimeZone=UTC');
    expect(new URL(conn.connectionString).searchParams.get('sslmode')).toBe('disable');
    expect(() => postgresConnection('postgresql://u@h/d', 'bad; drop')).toThrow(/schema name/);
  });

  it('creates _prisma_migrations with Prisma’s own column types', async () => {
    const target = reopenable('postgresql', REAL);
    cleanup = target.cleanup;
    await (await target.open()).migrate();
    const cols = await withPg((c) =>
      c.query(
        `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = '_prisma_migrations'
        ORDER BY ordinal_position`,
        [target.schema],
      ),
    );
    expect(cols.rows).toEqual([
      { column_name: 'id', data_type: 'character varying', len: 36, is_nullable: 'NO', column_default: null },
      { column_name: 'checksum', data_type: 'character varying', len: 64, is_nullable: 'NO', column_default: null },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'migration_name', data_type: 'character varying', len: 255, is_nullable: 'NO', column_default: null },
      { column_name: 'logs', data_type: 'text', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'NO', column_default: 'now()' },
      { column_name: 'applied_steps_count', data_type: 'integer', len: null, is_nullable: 'NO', column_default: '0' },
    ]);
  });
});

/**
 * Each PGlite test boots fresh embedded databases (WASM, all CPU): about 7 s on an idle machine,
 * over 30 s with both cores busy. The work is the same either way; only its wall time varies.
 */
const PGLITE_TIMEOUT = { timeout: 120_000 };

for (const kind of BACKENDS) {
  describe(`migrations on ${kind}`, kind === 'pglite' ? PGLITE_TIMEOUT : {}, () => {
    it('records each migration as Prisma does, and is idempotent', async () => {
      const target = reopenable(kind, REAL);
      cleanup = target.cleanup;
      const db = await target.open();
      const first = await db.migrate();
      const names = readMigrations(REAL).map((m) => m.name);
      expect(first).toEqual({ applied: names, alreadyApplied: 0, warnings: [] });
      const rows = await rowsOf(db);
      expect(rows).toHaveLength(names.length);
      for (const r of rows) {
        expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(r.checksum).toBe(sha256(path.join(REAL, r.migration_name, 'migration.sql')));
        expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
        expect(r.finished_at!.getTime()).toBeGreaterThanOrEqual(r.started_at.getTime());
        expect(r.applied_steps_count).toBe(1);
      }
      expect(await db.migrate()).toEqual({ applied: [], alreadyApplied: names.length, warnings: [] });
      expect(await rowsOf(db)).toEqual(rows);
    });

    it('upgrades a database migrated with the first migration only, keeping its data', async () => {
      const all = readMigrations(REAL).map((m) => m.name);
      expect(all).toEqual([
        '20251125000000_init',
        '20251125100000_audit',
        '20251125200000_transport_keys',
        '20251125300000_start_session',
        '20251203000000_audit_detail',
        '20261203000000_accounts',
        '20261203100000_redirect_uris',
        '20261204000000_consents',
        '20261204100000_session_auth',
        '20261204200000_ticket_keys',
      ]);
      const later = all.slice(1);
      // Only the first migration, as a database deployed before the later ones were written.
      const dir = path.join(tempDir(), 'migrations');
      cpSync(REAL, dir, { recursive: true });
      for (const name of later) rmSync(path.join(dir, name), { recursive: true });
      const target = reopenable(kind, dir);
      cleanup = target.cleanup;
      const before = await target.open();
      expect((await before.migrate()).applied).toEqual(['20251125000000_init']);
      const s = before.storage;
      await s.tenants.create({ id: 't', name: 'T', status: 'enabled', policy: {} });
      // The client row as the first release wrote it: today's repository maps columns that came later.
      await before.prisma.$executeRaw`
        INSERT INTO clients (id, tenant_id, name, type, secret_hash, access_token_ttl, refresh_token_ttl, max_sessions, status)
        VALUES ('c', 't', 'C', 'public', NULL, 60, 60, 5, 'enabled')`;
      // The user row as the first release wrote it, for the same reason.
      await before.prisma.$executeRaw`
        INSERT INTO users (id, tenant_id, user_type, username, status) VALUES ('u', 't', 'C', 'u', 'active')`;
      // The session as the first release wrote it: today's repository calls a function that came later.
      const expiresAt = new Date(Date.now() + 3600_000);
      await before.prisma.$executeRaw`
        INSERT INTO sessions (id, tenant_id, user_id, client_id, device_id, channel, scope, expires_at)
        VALUES ('s', 't', 'u', 'c', 'phone', '', '', ${expiresAt})`;
      await before.prisma.$executeRaw`INSERT INTO refresh_tokens (hash, session_id, expires_at) VALUES ('h', 's', ${expiresAt})`;
      await before.close();

      // The new release: the first migration is left alone, the later ones applied on top.
      for (const name of later) cpSync(path.join(REAL, name), path.join(dir, name), { recursive: true });
      const after = await target.open();
      expect(await after.migrate()).toEqual({ applied: later, alreadyApplied: 1, warnings: [] });
      const rows = await rowsOf(after);
      expect(rows.map((r) => [r.migration_name, r.finished_at !== null])).toEqual(all.map((n) => [n, true]));
      expect(await after.storage.sessions.hasDevice('u', 'phone')).toBe(true);
      // The session's user authenticated, as far as anyone knows, when it started; how is unknown.
      const session = await after.storage.sessions.get('s');
      expect(session?.authTime).toEqual(session?.createdAt);
      expect(session?.amr).toEqual([]);
      await after.storage.audit.append([{ event: 'sign_in', time: new Date(), userId: 'u' }]);
      expect((await after.storage.audit.list({ userId: 'u' }, { pageSize: 0, pageToken: '' })).items).toHaveLength(1);
      // The existing client gets the defaults of the new columns: plain passwords, no replay check.
      expect(await after.storage.clients.get('c')).toMatchObject({
        id: 'c',
        maxSessions: 5,
        passwordEncryption: 'none',
        rejectReplayedPasswords: false,
        signUpEnabled: true,
        customTicketSignUp: false,
      });
      // The existing user: a full (not anonymous) one without profile fields.
      expect(await after.storage.users.get('u')).toMatchObject({
        username: 'u',
        anonymous: false,
        picture: null,
        gender: null,
        locale: null,
      });
      expect(await after.storage.transportKeys.listUsable(new Date())).toEqual([]);
      // Existing users and clients start with no consents, and can be given some.
      expect(await after.storage.consents.list('u')).toEqual([]);
      await after.storage.consents.grant({ tenantId: 't', userId: 'u', clientId: 'c', scope: ['openid'] });
      expect(await after.storage.consents.find('u', 'c')).toMatchObject({ scope: ['openid'] });
    });

    it('stops at a failed migration, and every later start refuses with a clear message until resolved', async () => {
      const name = '20990101000000_broken';
      const dir = migrationsDir({ [name]: 'CREATE TABLE "half_done" ("id" INTEGER);\nSELEC 1;\n' });
      const target = reopenable(kind, dir);
      cleanup = target.cleanup;
      const logger = quietLogger();
      const db = await target.open(logger);

      const err = await db.migrate().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MigrationError);
      expect((err as MigrationError).migrationName).toBe(name);
      expect((err as Error).message).toContain(name);
      expect((err as Error).message).toMatch(/syntax error/);
      const failed = (await rowsOf(db)).find((r) => r.migration_name === name)!;
      expect(failed).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
      expect(failed.logs).toContain(`Migration name: ${name}`);
      expect(failed.logs).toMatch(/syntax error/);
      // The script ran in a transaction: nothing of it is left behind.
      expect(await db.prisma.$queryRawUnsafe(`SELECT to_regclass('half_done')::text AS t`)).toEqual([{ t: null }]);
      // The migrations before it were applied and recorded.
      expect((await rowsOf(db)).filter((r) => r.finished_at !== null)).toHaveLength(readMigrations(REAL).length);
      await db.close();

      // A restarted instance refuses to start, naming the migration and how to resolve it.
      const again = await target.open(logger);
      const blocked = await again.migrate().catch((e: unknown) => e);
      expect(blocked).toBeInstanceOf(MigrationError);
      expect((blocked as Error).message).toContain(`\`${name}\``);
      expect((blocked as Error).message).toContain('failed');
      expect((blocked as Error).message).toContain(`prisma migrate resolve --rolled-back ${name}`);
      expect((await rowsOf(again)).filter((r) => r.migration_name === name)).toHaveLength(1);

      // Resolved as `prisma migrate resolve --rolled-back` does, with the script fixed: applied anew.
      await again.prisma.$executeRawUnsafe(
        `UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL`,
        name,
      );
      writeFileSync(path.join(dir, name, 'migration.sql'), 'CREATE TABLE "half_done" ("id" INTEGER);\n');
      expect((await again.migrate()).applied).toEqual([name]);
      const history = (await rowsOf(again)).filter((r) => r.migration_name === name);
      expect(history.map((r) => [r.rolled_back_at !== null, r.finished_at !== null])).toEqual([
        [true, false],
        [false, true],
      ]);
    });

    it('warns, as Prisma does, about an applied migration that was edited or is unknown', async () => {
      const dir = migrationsDir({ '20990101000000_extra': 'CREATE TABLE "extra" ("id" INTEGER);\n' });
      const target = reopenable(kind, dir);
      cleanup = target.cleanup;
      const logger = quietLogger();
      const db = await target.open(logger);
      await db.migrate();
      appendFileSync(path.join(dir, '20990101000000_extra', 'migration.sql'), '-- edited\n');
      const result = await db.migrate();
      expect(result.applied).toEqual([]);
      expect(result.warnings).toEqual(['The migration `20990101000000_extra` was modified after it was applied.']);
      expect(logger.warn).toHaveBeenCalledWith(result.warnings[0]);

      rmSync(path.join(dir, '20990101000000_extra'), { recursive: true });
      expect((await db.migrate()).warnings).toEqual([
        'The migration `20990101000000_extra` is applied to the database but missing from the migrations directory.',
      ]);
    });
  });
}

describe('embedded PGlite', PGLITE_TIMEOUT, () => {
  it('lives in <dataDir>/pglite when DATABASE_URL is unset, and keeps its data across restarts', async () => {
    const dataDir = tempDir();
    const db = await openDatabase({ dataDir, databaseUrl: '' });
    expect(db.kind).toBe('pglite');
    await db.migrate();
    await db.storage.tenants.create({ id: 'kept', name: 'Kept', status: 'enabled', policy: {} });
    await db.storage.close();
    expect(readFileSync(path.join(dataDir, 'pglite', 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);

    const reopened = await openDatabase({ dataDir });
    try {
      expect((await reopened.migrate()).applied).toEqual([]);
      expect((await reopened.storage.tenants.get('kept'))?.name).toBe('Kept');
    } finally {
      await reopened.close();
      await reopened.close();
    }
  });

  it('rejects a DATABASE_URL it does not understand and a migrations directory for another provider', async () => {
    await expect(openDatabase({ dataDir: tempDir(), databaseUrl: 'mysql://x' })).rejects.toThrow(/postgresql:\/\//);
    const dir = migrationsDir();
    writeFileSync(path.join(dir, 'migration_lock.toml'), 'provider = "sqlite"\n');
    expect(() => readMigrations(dir)).toThrow(/sqlite/);
  });
});
