// prisma/schema.prisma and the hand-written migrations must describe the same database. Two
// checks on a freshly migrated database, for each backend: the catalog (columns, types,
// nullability, defaults, indexes, foreign keys) matches what Prisma would create for the schema,
// and every model's create/find/update/delete queries run through the generated client.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../../src/storage/prisma/index.js';
import { BACKENDS, openTestDatabase, type BackendKind, type TestDatabase } from '../helpers/db.js';

interface Column {
  name: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
}
interface ModelShape {
  table: string;
  columns: Column[];
  indexes: Map<string, { columns: string[]; unique: boolean; where?: string }>;
  foreignKeys: Map<string, { column: string; table: string; onDelete: string }>;
}

const SCALAR_SQL: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  Json: 'jsonb',
  DateTime: 'timestamp without time zone',
};

/** Just enough of the Prisma schema language for this schema; fails loudly on anything else. */
function parseSchema(text: string): ModelShape[] {
  const blocks = [...text.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)];
  const tables = new Map(blocks.map(([, name, body]) => [name, /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? name]));
  return blocks.map(([, , body]) => {
    const table = /@@map\("([^"]+)"\)/.exec(body)![1];
    const fieldColumns = new Map<string, string>();
    const columns: Column[] = [];
    const indexes: ModelShape['indexes'] = new Map();
    const foreignKeys: ModelShape['foreignKeys'] = new Map();
    const relations: string[] = [];
    for (const raw of body.split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      if (!line || line.startsWith('@@')) continue;
      const [, field, type, mod, attrs] = /^(\w+)\s+(\w+)(\?|\[\])?\s*(.*)$/.exec(line) ?? [];
      if (!field) throw new Error(`cannot parse: ${line}`);
      if (tables.has(type)) {
        if (attrs.includes('fields:')) relations.push(`${type}|${attrs}`);
        continue;
      }
      const column = /@map\("([^"]+)"\)/.exec(attrs)?.[1] ?? field;
      fieldColumns.set(field, column);
      let sqlType = SCALAR_SQL[type];
      if (!sqlType) throw new Error(`unmapped type ${type}`);
      if (/@db\.Timestamptz/.test(attrs)) sqlType = 'timestamp with time zone';
      if (mod === '[]') sqlType = `${sqlType}[]`;
      // Prisma creates scalar lists as nullable columns; a hand-written migration may make one
      // NOT NULL, which the schema (that cannot say it) notes with a trailing `// NOT NULL`.
      const list = mod === '[]' && !raw.includes('// NOT NULL');
      columns.push({ name: column, type: sqlType, nullable: mod === '?' || list, hasDefault: attrs.includes('@default(') });
      if (/@id\b/.test(attrs)) indexes.set(`${table}_pkey`, { columns: [column], unique: true });
    }
    // Index fields: `userId` or `time(sort: Desc)`.
    const cols = (list: string) =>
      list.split(',').map((f) => {
        const [, field, sort] = /^\s*(\w+)(?:\(sort: (Asc|Desc)\))?\s*$/.exec(f) ?? [];
        const column = fieldColumns.get(field);
        if (!column) throw new Error(`cannot parse index field: ${f}`);
        return { column, desc: sort === 'Desc' };
      });
    // A composite primary key (`@@id([userId, clientId])`): Prisma names its constraint <table>_pkey.
    for (const [, list] of body.matchAll(/@@id\(\[([^\]]+)\]\)\s*$/gm)) {
      indexes.set(`${table}_pkey`, { columns: cols(list).map((x) => x.column), unique: true });
    }
    for (const [, kind, list, rest] of body.matchAll(/@@(unique|index)\(\[([^\]]+)\](.*)\)\s*$/gm)) {
      const c = cols(list);
      const name = /map: "([^"]+)"/.exec(rest)?.[1] ?? `${table}_${c.map((x) => x.column).join('_')}_${kind === 'unique' ? 'key' : 'idx'}`;
      indexes.set(name, {
        columns: c.map((x) => (x.desc ? `${x.column} DESC` : x.column)),
        unique: kind === 'unique',
        where: /where: raw\("([^"]+)"\)/.exec(rest)?.[1],
      });
    }
    for (const rel of relations) {
      const [target, attrs] = rel.split('|');
      const column = fieldColumns.get(/fields: \[(\w+)\]/.exec(attrs)![1])!;
      const onDelete = (/onDelete: (\w+)/.exec(attrs)?.[1] ?? 'Restrict').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
      foreignKeys.set(`${table}_${column}_fkey`, { column, table: tables.get(target)!, onDelete });
    }
    return { table, columns, indexes, foreignKeys };
  });
}

async function catalog(prisma: PrismaClient, table: string) {
  const columns = await prisma.$queryRaw<
    { name: string; type: string; nullable: boolean; has_default: boolean; precision: number | null }[]
  >`
    SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type, NOT a.attnotnull AS nullable,
           a.atthasdef AS has_default, information_schema._pg_datetime_precision(a.atttypid, a.atttypmod) AS precision
      FROM pg_attribute a
     WHERE a.attrelid = to_regclass(${table}) AND a.attnum > 0 AND NOT a.attisdropped`;
  const indexes = await prisma.$queryRaw<{ name: string; def: string; unique: boolean }[]>`
    SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def, i.indisunique AS unique
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = to_regclass(${table})`;
  const fks = await prisma.$queryRaw<{ name: string; def: string }[]>`
    SELECT conname AS name, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE conrelid = to_regclass(${table}) AND contype = 'f'`;
  return { columns, indexes, fks };
}

const schemaText = readFileSync(path.resolve(import.meta.dirname, '../../prisma/schema.prisma'), 'utf8');
const models = parseSchema(schemaText);

function schemaSuite(kind: BackendKind) {
  describe(`schema.prisma and migrations agree on ${kind}`, () => {
    let t: TestDatabase;
    let prisma: PrismaClient;
    beforeAll(async () => {
      t = await openTestDatabase(kind, 'schema');
      prisma = t.db.prisma;
    });
    afterAll(async () => t?.cleanup());

    it('has exactly the tables of the schema, plus _prisma_migrations', async () => {
      const rows = await prisma.$queryRaw<{ name: string }[]>`
        SELECT table_name AS name FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`;
      expect(rows.map((r) => r.name)).toEqual([...models.map((m) => m.table), '_prisma_migrations'].sort());
    });

    for (const model of models) {
      it(`matches the catalog of ${model.table}`, async () => {
        const db = await catalog(prisma, model.table);
        const actual = db.columns
          .map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, hasDefault: c.has_default }))
          .sort((a, b) => a.name.localeCompare(b.name));
        expect(actual).toEqual([...model.columns].sort((a, b) => a.name.localeCompare(b.name)));
        for (const c of db.columns) if (c.type.startsWith('timestamp')) expect(c.precision, c.name).toBe(3);

        expect(db.indexes.map((i) => i.name).sort()).toEqual([...model.indexes.keys()].sort());
        for (const i of db.indexes) {
          const want = model.indexes.get(i.name)!;
          expect(i.unique, i.name).toBe(want.unique);
          // pg_get_indexdef quotes column names that are keywords ("time").
          expect(i.def.replace(/"/g, ''), i.name).toContain(`(${want.columns.join(', ')})`);
          if (want.where) expect(i.def, i.name).toContain(`WHERE (${want.where})`);
          else expect(i.def, i.name).not.toContain(' WHERE ');
        }

        expect(db.fks.map((f) => f.name).sort()).toEqual([...model.foreignKeys.keys()].sort());
        for (const f of db.fks) {
          const want = model.foreignKeys.get(f.name)!;
          expect(f.def).toContain(`FOREIGN KEY (${want.column}) REFERENCES ${want.table}(id) ON UPDATE CASCADE`);
          if (want.onDelete === 'RESTRICT') expect(f.def).toContain('ON DELETE RESTRICT');
          else expect(f.def).toContain(`ON DELETE ${want.onDelete}`);
        }
      });
    }

    it('runs every model’s queries through the Prisma client', async () => {
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const soon = new Date(now.getTime() + 3600_000);

      const tenant = await prisma.tenant.create({ data: { id: 't', name: 'T', status: 'enabled', policy: { hideUnknownUsers: true } } });
      expect(tenant.policy).toEqual({ hideUnknownUsers: true });
      expect(await prisma.tenant.update({ where: { id: 't' }, data: { name: 'T2', status: 'disabled', policy: {} } })).toMatchObject({
        name: 'T2',
        status: 'disabled',
        policy: {},
      });
      expect(await prisma.tenant.findMany({ where: { name: 'T2', status: 'disabled' } })).toHaveLength(1);

      const client = await prisma.client.create({
        data: {
          id: 'c',
          tenantId: 't',
          name: 'C',
          type: 'confidential',
          secretHash: 'h',
          grantTypes: ['password'],
          scopes: ['openid'],
          accessTokenTtl: 60,
          refreshTokenTtl: 3600,
          maxSessions: 2,
          status: 'enabled',
        },
      });
      expect(client).toMatchObject({
        grantTypes: ['password'],
        scopes: ['openid'],
        secretHash: 'h',
        passwordEncryption: 'none',
        rejectReplayedPasswords: false,
      });
      expect(
        await prisma.client.update({ where: { id: 'c' }, data: { passwordEncryption: 'required', rejectReplayedPasswords: true } }),
      ).toMatchObject({ passwordEncryption: 'required', rejectReplayedPasswords: true });
      expect(await prisma.client.findMany({ where: { passwordEncryption: 'required', rejectReplayedPasswords: true } })).toHaveLength(1);
      expect(
        await prisma.client.update({ where: { id: 'c' }, data: { secretHash: null, grantTypes: { push: 'refresh_token' }, scopes: [] } }),
      ).toMatchObject({ secretHash: null, grantTypes: ['password', 'refresh_token'], scopes: [] });
      expect(
        await prisma.client.findMany({ where: { tenantId: 't', grantTypes: { has: 'refresh_token' }, maxSessions: { gte: 2 } } }),
      ).toHaveLength(1);

      const user = await prisma.user.create({
        data: {
          id: 'u',
          tenantId: 't',
          userType: 'C',
          username: 'u',
          email: 'u@x',
          emailVerified: true,
          phoneNumber: '+1',
          phoneVerified: true,
          name: 'U',
          passwordHash: 'p',
          status: 'active',
          expiresAt: soon,
          groups: ['g'],
        },
      });
      expect(user).toMatchObject({ expiresAt: soon, groups: ['g'], emailVerified: true });
      expect(
        await prisma.user.findUnique({ where: { tenantId_userType_username: { tenantId: 't', userType: 'C', username: 'u' } } }),
      ).toEqual(user);
      expect(await prisma.user.findUnique({ where: { tenantId_userType_email: { tenantId: 't', userType: 'C', email: 'u@x' } } })).toEqual(
        user,
      );
      expect(
        await prisma.user.findUnique({ where: { tenantId_userType_phoneNumber: { tenantId: 't', userType: 'C', phoneNumber: '+1' } } }),
      ).toEqual(user);
      expect(
        await prisma.user.update({
          where: { id: 'u' },
          data: {
            username: null,
            email: null,
            phoneNumber: null,
            name: null,
            passwordHash: null,
            expiresAt: null,
            groups: [],
            status: 'blocked',
          },
        }),
      ).toMatchObject({ username: null, email: null, phoneNumber: null, expiresAt: null, groups: [] });

      const session = await prisma.session.create({
        data: { id: 's', tenantId: 't', userId: 'u', clientId: 'c', deviceId: 'd', channel: 'app', scope: 'openid', expiresAt: soon },
      });
      expect(session).toMatchObject({ revokedAt: null, revokeReason: null, deviceId: 'd' });
      const bare = await prisma.session.create({ data: { id: 's2', tenantId: 't', userId: 'u', clientId: 'c', expiresAt: soon } });
      expect(bare).toMatchObject({ deviceId: '', channel: '', scope: '' });
      expect(await prisma.session.update({ where: { id: 's' }, data: { revokedAt: now, revokeReason: 'r' } })).toMatchObject({
        revokedAt: now,
        revokeReason: 'r',
      });
      expect(await prisma.session.findMany({ where: { userId: 'u', clientId: 'c', revokedAt: null } })).toHaveLength(1);

      await prisma.refreshToken.create({ data: { hash: 'h1', sessionId: 's', expiresAt: soon } });
      expect(await prisma.refreshToken.update({ where: { hash: 'h1' }, data: { rotatedAt: now, successor: 'x' } })).toMatchObject({
        rotatedAt: now,
        successor: 'x',
      });
      const withSession = await prisma.refreshToken.findUnique({
        where: { hash: 'h1' },
        include: { session: { include: { user: true, client: true, tenant: true } } },
      });
      expect(withSession?.session.user.id).toBe('u');
      expect(withSession?.session.client.id).toBe('c');
      const tree = await prisma.tenant.findUnique({
        where: { id: 't' },
        include: { clients: true, users: { include: { sessions: { include: { refreshTokens: true } } } }, sessions: true },
      });
      expect(tree?.users[0].sessions.flatMap((s) => s.refreshTokens)).toHaveLength(1);

      // Consents: a composite key, the scope as text, cascading from the user (below) and client.
      const consent = await prisma.consent.create({ data: { tenantId: 't', userId: 'u', clientId: 'c', scope: 'openid' } });
      expect(consent).toMatchObject({ scope: 'openid' });
      await prisma.client.create({
        data: {
          id: 'c2',
          tenantId: 't',
          name: 'C2',
          type: 'public',
          accessTokenTtl: 60,
          refreshTokenTtl: 60,
          maxSessions: 1,
          status: 'enabled',
        },
      });
      expect(await prisma.consent.create({ data: { tenantId: 't', userId: 'u', clientId: 'c2' } })).toMatchObject({ scope: '' });
      expect(
        await prisma.consent.update({ where: { userId_clientId: { userId: 'u', clientId: 'c' } }, data: { scope: 'openid email' } }),
      ).toMatchObject({ scope: 'openid email' });
      expect(await prisma.consent.findMany({ where: { userId: 'u' }, include: { client: true } })).toHaveLength(2);
      await prisma.client.delete({ where: { id: 'c2' } });
      expect(await prisma.consent.findMany({ where: { clientId: 'c2' } })).toEqual([]);

      const key = await prisma.signingKey.create({
        data: { kid: 'k', alg: 'ES256', status: 'active', privateKeySealed: 'sealed', publicJwk: { kty: 'EC' } },
      });
      expect(key).toMatchObject({ publicJwk: { kty: 'EC' }, retireAt: null });
      expect(await prisma.signingKey.update({ where: { kid: 'k' }, data: { status: 'retired', retireAt: soon } })).toMatchObject({
        retireAt: soon,
      });
      expect(await prisma.signingKey.findMany({ where: { OR: [{ retireAt: null }, { retireAt: { gt: now } }] } })).toHaveLength(1);

      const tk = await prisma.transportKey.create({
        data: { thumbprint: 'tp', bits: 2048, status: 'active', privateKeySealed: 'sealed', publicKeyPem: 'pem' },
      });
      expect(tk).toMatchObject({ bits: 2048, retireAt: null });
      expect(Math.abs(tk.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
      expect(
        await prisma.transportKey.updateMany({
          where: { status: 'active', thumbprint: { not: 'other' } },
          data: { status: 'retired', retireAt: soon },
        }),
      ).toEqual({ count: 1 });
      expect(
        await prisma.transportKey.findMany({
          where: { OR: [{ status: 'active' }, { retireAt: null }, { retireAt: { gt: now } }] },
          orderBy: [{ createdAt: 'asc' }, { thumbprint: 'asc' }],
        }),
      ).toEqual([{ ...tk, status: 'retired', retireAt: soon }]);

      const tkey = await prisma.ticketKey.create({ data: { clientId: 'c', kid: 'k1', alg: 'ES256', publicJwk: { kty: 'EC' } } });
      expect(tkey).toMatchObject({ publicJwk: { kty: 'EC' } });
      expect(await prisma.ticketKey.findUnique({ where: { clientId_kid: { clientId: 'c', kid: 'k1' } } })).toEqual(tkey);
      expect(await prisma.ticketKey.findMany({ where: { clientId: 'c' }, orderBy: [{ createdAt: 'asc' }, { kid: 'asc' }] })).toHaveLength(
        1,
      );
      expect(await prisma.client.findUnique({ where: { id: 'c' }, include: { ticketKeys: true } })).toMatchObject({
        customTicketSignUp: false,
        ticketKeys: [tkey],
      });
      const identity = await prisma.userIdentity.create({ data: { provider: 'custom:c', subject: 'ext-1', userId: 'u' } });
      expect(
        await prisma.userIdentity.findUnique({
          where: { provider_subject: { provider: 'custom:c', subject: 'ext-1' } },
          include: { user: true },
        }),
      ).toMatchObject({ ...identity, user: { id: 'u' } });
      expect(await prisma.user.findUnique({ where: { id: 'u' }, include: { identities: true } })).toMatchObject({ identities: [identity] });

      // Audit events: a bigint id from the sequence, time defaulting to now(), nullable texts.
      const e1 = await prisma.auditEvent.create({ data: { event: 'sign_in' } });
      expect(typeof e1.id).toBe('bigint');
      expect(e1).toMatchObject({ tenantId: null, userId: null, clientId: null, deviceId: null, ip: null, reason: null });
      expect(Math.abs(e1.time.getTime() - Date.now())).toBeLessThan(60_000);
      const e2 = await prisma.auditEvent.create({
        data: { event: 'token', time: now, tenantId: 't', userId: 'u', clientId: 'c', deviceId: 'd', ip: '::1', reason: 'password' },
      });
      expect(e2.id).toBeGreaterThan(e1.id);
      expect(
        await prisma.auditEvent.createMany({
          data: [
            { event: 'lock', time: soon, userId: 'u' },
            { event: 'unlock', userId: 'u' },
          ],
        }),
      ).toEqual({ count: 2 });
      expect(await prisma.auditEvent.update({ where: { id: e1.id }, data: { reason: 'r', ip: null } })).toMatchObject({
        reason: 'r',
        ip: null,
      });
      expect(
        (
          await prisma.auditEvent.findMany({
            where: { userId: 'u', time: { gte: now } },
            orderBy: [{ time: 'desc' }, { id: 'desc' }],
          })
        ).map((e) => e.event),
      ).toEqual(['lock', 'unlock', 'token']);
      expect(await prisma.auditEvent.findUnique({ where: { id: e2.id } })).toEqual(e2);
      expect(await prisma.auditEvent.deleteMany({ where: { time: { lt: soon } } })).toEqual({ count: 3 });
      await prisma.auditEvent.delete({ where: { id: (await prisma.auditEvent.findFirstOrThrow()).id } });
      expect(await prisma.auditEvent.count()).toBe(0);

      // Deletes, and the referential actions the schema declares.
      await expect(prisma.tenant.delete({ where: { id: 't' } })).rejects.toThrow();
      await prisma.user.delete({ where: { id: 'u' } });
      expect(await prisma.session.count()).toBe(0);
      expect(await prisma.refreshToken.count()).toBe(0);
      expect(await prisma.consent.count()).toBe(0);
      expect(await prisma.userIdentity.count()).toBe(0);
      await prisma.client.delete({ where: { id: 'c' } });
      expect(await prisma.ticketKey.count()).toBe(0);
      await prisma.signingKey.delete({ where: { kid: 'k' } });
      await prisma.transportKey.delete({ where: { thumbprint: 'tp' } });
      expect(await prisma.transportKey.count()).toBe(0);
      await prisma.tenant.delete({ where: { id: 't' } });
      expect(await prisma.tenant.count()).toBe(0);
    });
  });
}

for (const kind of BACKENDS) schemaSuite(kind);
