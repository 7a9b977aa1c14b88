// The repository contract (src/domain/ports.ts), run against every backend: Prisma on PostgreSQL in
// a schema of its own and on in-memory PGlite; once more on PostgreSQL with the refresh-path
// statements going through Prisma's raw API instead of the driver (createPrismaStorage(prisma));
// and the in-memory storage the unit tests run on (test/helpers/memory-storage.ts), so that it
// cannot drift from the real behaviour unnoticed.
//
// The tests go through the ports only. Facts no port reads (which sessions of a user are live,
// which refresh tokens exist) are asserted through the ports from the ids the test started, and
// on the Prisma backends also by SQL. Tests of Prisma's own machinery are declared for the Prisma
// backends only, each saying why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSignetError, type SignetError } from '../../src/domain/errors.js';
import type { AuditEvent, AuditEventInput, NewClient, Storage } from '../../src/domain/ports.js';
import { createPrismaStorage, openDatabase, prismaExecutor, type Database, type SqlExecutor } from '../../src/storage/prisma/index.js';
import { openTestDatabase, TEST_DATABASE_URL, type BackendKind, type TestDatabase } from '../helpers/db.js';
import { memoryStorage } from '../helpers/memory-storage.js';
import { consentContract } from './storage-consents.js';

const HOUR = 3600_000;
const later = (ms = HOUR) => new Date(Date.now() + ms);
/** How and when a session's user authenticated, where a test is about something else. */
const AUTHENTICATED = { authTime: new Date(), amr: ['pwd'] };

let seq = 0;
/** Ids that sort in creation order, so ties in created_at break the same way. */
const nextId = (p: string) => `${p}-${String(++seq).padStart(5, '0')}`;

interface OpenedStorage {
  storage: Storage;
  /** The database behind a Prisma backend: SQL cross-checks and the Prisma-only tests. */
  db?: TestDatabase;
  /** A second handle on the same data, standing in for a second Signet process. */
  openSecond?(): Promise<Database>;
  /** Many clients at once, where the backend has a faster way than one create per client. */
  createClients?(rows: NewClient[]): Promise<void>;
  close(): Promise<void>;
}

interface ContractBackend {
  name: string;
  /** Runs the Prisma-only tests. */
  prisma: boolean;
  open(): Promise<OpenedStorage>;
}

function prismaBackend(kind: BackendKind, viaPrismaRaw = false): ContractBackend {
  return {
    name: `Prisma storage on ${kind}${viaPrismaRaw ? ', refresh path through Prisma' : ''}`,
    prisma: true,
    async open() {
      const t = await openTestDatabase(kind, 'contract');
      return {
        storage: viaPrismaRaw ? createPrismaStorage(t.db.prisma) : t.db.storage,
        db: t,
        // Two Database instances (two pools) on PostgreSQL; PGlite is one process's database.
        openSecond:
          kind === 'postgresql'
            ? () => openDatabase({ databaseUrl: TEST_DATABASE_URL, dataDir: '/nonexistent', schema: t.schema })
            : undefined,
        createClients: async (rows) => void (await t.db.prisma.client.createMany({ data: rows })),
        close: () => t.cleanup(),
      };
    },
  };
}

const memoryBackend: ContractBackend = {
  name: 'in-memory storage (unit-test backend)',
  prisma: false,
  async open() {
    const storage = memoryStorage();
    return { storage, close: () => storage.close() };
  },
};

const CONTRACT_BACKENDS: ContractBackend[] = [
  prismaBackend('postgresql'),
  prismaBackend('pglite'),
  prismaBackend('postgresql', true),
  memoryBackend,
];

async function rejection(p: Promise<unknown>): Promise<SignetError> {
  try {
    await p;
  } catch (e) {
    if (isSignetError(e)) return e;
    throw new Error(`expected a SignetError, got ${String(e)}`);
  }
  throw new Error('expected a rejection');
}

function expectAlreadyExists(e: SignetError, field: string) {
  expect(e.reason).toBe('already_exists');
  expect(e.details.metadata).toEqual({ field });
  // No SQL, table or constraint text may travel with it.
  expect(e.message).toBe('already_exists');
  expect(e.cause).toBeUndefined();
}

function contract(backend: ContractBackend) {
  describe(backend.name, () => {
    let opened: OpenedStorage;
    let s: Storage;
    const tenantId = nextId('tenant');
    const clientId = nextId('client');
    /** The sessions each user was given by this suite, to read back through the port. */
    const sessionsOf = new Map<string, string[]>();
    const started = (userId: string, id: string) => sessionsOf.set(userId, [...(sessionsOf.get(userId) ?? []), id]);

    beforeAll(async () => {
      opened = await backend.open();
      s = opened.storage;
      await s.tenants.create({ id: tenantId, name: 'Main', status: 'enabled', policy: {} });
      await s.clients.create(newClient(clientId, tenantId));
    });
    afterAll(async () => opened?.close());

    function newClient(id: string, tenant: string) {
      return {
        id,
        tenantId: tenant,
        name: 'Web',
        type: 'confidential' as const,
        secretHash: 'ab'.repeat(32),
        grantTypes: ['password', 'refresh_token'],
        scopes: ['openid', 'profile'],
        accessTokenTtl: 7200,
        refreshTokenTtl: 86400,
        maxSessions: 3,
        status: 'enabled' as const,
        passwordEncryption: 'none' as const,
        rejectReplayedPasswords: false,
        signUpEnabled: true,
        redirectUris: ['https://app.example/cb'],
        firstParty: true,
        customTicketSignUp: false,
      };
    }
    function newUser(over: Partial<Parameters<Storage['users']['create']>[0]> = {}) {
      return {
        id: nextId('user'),
        tenantId,
        userType: 'C' as const,
        username: null,
        email: null,
        emailVerified: false,
        phoneNumber: null,
        phoneVerified: false,
        name: null,
        picture: null,
        gender: null,
        locale: null,
        anonymous: false,
        passwordHash: null,
        status: 'active' as const,
        expiresAt: null,
        groups: [],
        ...over,
      };
    }
    async function startSession(
      userId: string,
      over: { deviceId?: string; client?: string; max?: number; expiresAt?: Date; authTime?: Date; amr?: string[] } = {},
    ) {
      const id = nextId('sess');
      const hash = nextId('rt');
      const revoked = await s.sessions.start(
        {
          id,
          tenantId,
          userId,
          clientId: over.client ?? clientId,
          deviceId: over.deviceId ?? '',
          channel: 'web',
          scope: 'openid',
          authTime: over.authTime ?? new Date(),
          amr: over.amr ?? ['pwd'],
          expiresAt: over.expiresAt ?? later(),
        },
        { hash, sessionId: id, expiresAt: over.expiresAt ?? later() },
        over.max ?? 3,
      );
      started(userId, id);
      return { id, hash, revoked };
    }
    /** Ids of the user's live sessions (not revoked, not expired), ascending. */
    async function liveSessions(userId: string) {
      const at = new Date();
      const ids: string[] = [];
      for (const id of sessionsOf.get(userId) ?? []) {
        const x = await s.sessions.get(id);
        if (x && x.revokedAt === null && x.expiresAt > at) ids.push(id);
      }
      ids.sort();
      if (opened.db) {
        // On SQL, every live session of the user: none that the suite did not start.
        const rows = await opened.db.db.prisma.session.findMany({
          where: { userId, revokedAt: null, expiresAt: { gt: new Date() } },
          orderBy: { id: 'asc' },
        });
        expect(rows.map((r) => r.id)).toEqual(ids);
      }
      return ids;
    }

    describe('tenants', () => {
      it('creates, gets and updates', async () => {
        const id = nextId('tenant');
        const created = await s.tenants.create({ id, name: 'Acme', status: 'enabled', policy: { hideUnknownUsers: true } });
        expect(created).toMatchObject({ id, name: 'Acme', status: 'enabled', policy: { hideUnknownUsers: true } });
        expect(created.createdAt).toBeInstanceOf(Date);
        expect(await s.tenants.get(id)).toEqual(created);
        expect(await s.tenants.get('missing')).toBeNull();

        const updated = await s.tenants.update(id, { name: 'Acme 2', status: 'disabled', policy: {} });
        expect(updated).toMatchObject({ id, name: 'Acme 2', status: 'disabled', policy: {} });
        expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
        expect(updated!.createdAt).toEqual(created.createdAt);
        expect(await s.tenants.update(id, {})).toEqual(updated);
        expect(await s.tenants.update('missing', { name: 'x' })).toBeNull();
      });

      it('merges a policy patch into the stored policy, in one step: concurrent patches lose nothing', async () => {
        const id = nextId('tenant');
        await s.tenants.create({ id, name: 'P', status: 'enabled', policy: { hideUnknownUsers: true, maxFailedAttempts: 5 } });
        const u = await s.tenants.update(id, { policy: { maxFailedAttempts: 7 } });
        expect(u!.policy).toEqual({ hideUnknownUsers: true, maxFailedAttempts: 7 });
        await Promise.all([
          s.tenants.update(id, { policy: { lockSeconds: 60 } }),
          s.tenants.update(id, { policy: { captchaAfterFailures: 2 }, name: 'P2' }),
          s.tenants.update(id, { policy: { alwaysCaptcha: true } }),
          s.tenants.update(id, { policy: { openLoginWays: [] } }),
        ]);
        expect(await s.tenants.get(id)).toMatchObject({
          name: 'P2',
          policy: {
            hideUnknownUsers: true,
            maxFailedAttempts: 7,
            lockSeconds: 60,
            captchaAfterFailures: 2,
            alwaysCaptcha: true,
            openLoginWays: [],
          },
        });
        expect(await s.tenants.update('missing', { policy: { lockSeconds: 1 } })).toBeNull();
      });

      it('reports a taken id as already_exists', async () => {
        expectAlreadyExists(await rejection(s.tenants.create({ id: tenantId, name: 'x', status: 'enabled', policy: {} })), 'tenant_id');
      });

      it('pages by id with an opaque token', async () => {
        const ids = Array.from({ length: 5 }, () => nextId('tenant'));
        for (const id of ids) await s.tenants.create({ id, name: id, status: 'enabled', policy: {} });
        const seen: string[] = [];
        let pageToken = '';
        let pages = 0;
        do {
          const page = await s.tenants.list({ pageSize: 2, pageToken });
          expect(page.items.length).toBeLessThanOrEqual(2);
          seen.push(...page.items.map((x) => x.id));
          pageToken = page.nextPageToken;
          pages++;
        } while (pageToken !== '' && pages < 100);
        expect(pageToken).toBe('');
        expect(seen).toEqual([...seen].sort());
        expect(new Set(seen).size).toBe(seen.length);
        for (const id of ids) expect(seen).toContain(id);
        const err = await rejection(s.tenants.list({ pageSize: 2, pageToken: 'not a token!' }));
        expect(err.reason).toBe('invalid_argument');
      });
    });

    describe('clients', () => {
      it('creates, gets, updates and lists by tenant', async () => {
        const c = await s.clients.get(clientId);
        expect(c).toMatchObject(newClient(clientId, tenantId));
        const pub = await s.clients.create({
          ...newClient(nextId('client'), tenantId),
          type: 'public',
          secretHash: null,
          grantTypes: [],
          scopes: [],
        });
        expect(pub).toMatchObject({ type: 'public', secretHash: null, grantTypes: [], scopes: [] });
        const up = await s.clients.update(pub.id, {
          name: 'App',
          grantTypes: ['password'],
          scopes: ['a'],
          accessTokenTtl: 60,
          refreshTokenTtl: 3600,
          maxSessions: 1,
          status: 'disabled',
        });
        expect(up).toMatchObject({
          name: 'App',
          grantTypes: ['password'],
          scopes: ['a'],
          accessTokenTtl: 60,
          refreshTokenTtl: 3600,
          maxSessions: 1,
          status: 'disabled',
          secretHash: null,
        });
        const enc = await s.clients.update(pub.id, { passwordEncryption: 'required', rejectReplayedPasswords: true });
        expect(enc).toMatchObject({ passwordEncryption: 'required', rejectReplayedPasswords: true, name: 'App' });
        expect(await s.clients.get(pub.id)).toEqual(enc);
        const rsa = await s.clients.create({
          ...newClient(nextId('client'), tenantId),
          passwordEncryption: 'rsa',
          rejectReplayedPasswords: true,
        });
        expect(rsa).toMatchObject({ passwordEncryption: 'rsa', rejectReplayedPasswords: true });
        expect(await s.clients.get(rsa.id)).toEqual(rsa);
        expect(await s.clients.update('missing', { name: 'x' })).toBeNull();
        expect(await s.clients.get('missing')).toBeNull();

        const other = nextId('tenant');
        await s.tenants.create({ id: other, name: 'o', status: 'enabled', policy: {} });
        const mine = await s.clients.create(newClient(nextId('client'), other));
        expect((await s.clients.list({ pageSize: 0, pageToken: '' }, { tenantId: other })).items).toEqual([mine]);
        const all = await s.clients.list({ pageSize: 0, pageToken: '' }, {});
        expect(all.items.map((x) => x.id)).toEqual(expect.arrayContaining([clientId, pub.id, mine.id]));
      });

      it('reports a taken id as already_exists and an unknown tenant as not_found', async () => {
        expectAlreadyExists(await rejection(s.clients.create(newClient(clientId, tenantId))), 'client_id');
        const e = await rejection(s.clients.create(newClient(nextId('client'), 'no-such-tenant')));
        expect(e.reason).toBe('not_found');
        expect(e.details.metadata).toEqual({ field: 'tenant_id' });
      });

      it('clamps page sizes: 0 means 50, at most 500', async () => {
        const tenant = nextId('tenant');
        await s.tenants.create({ id: tenant, name: 'many', status: 'enabled', policy: {} });
        const many = Array.from({ length: 505 }, (_, i) => newClient(`${tenant}-c${String(i).padStart(4, '0')}`, tenant));
        if (opened.createClients) await opened.createClients(many);
        else for (const c of many) await s.clients.create(c);
        const first = await s.clients.list({ pageSize: 0, pageToken: '' }, { tenantId: tenant });
        expect(first.items).toHaveLength(50);
        expect(first.nextPageToken).not.toBe('');
        const second = await s.clients.list({ pageSize: 0, pageToken: first.nextPageToken }, { tenantId: tenant });
        expect(second.items[0].id > first.items[49].id).toBe(true);
        const big = await s.clients.list({ pageSize: 10_000, pageToken: '' }, { tenantId: tenant });
        expect(big.items).toHaveLength(500);
        const rest = await s.clients.list({ pageSize: 500, pageToken: big.nextPageToken }, { tenantId: tenant });
        expect(rest.items).toHaveLength(5);
        expect(rest.nextPageToken).toBe('');
      });
    });

    describe('users', () => {
      it('reads a password hash alone: the hash, null without one, undefined without the user', async () => {
        const withHash = await s.users.create(newUser({ passwordHash: 'h-only' }));
        const without = await s.users.create(newUser());
        expect(await s.users.passwordHashOf(withHash.id)).toBe('h-only');
        expect(await s.users.passwordHashOf(without.id)).toBeNull();
        expect(await s.users.passwordHashOf('no-such-user')).toBeUndefined();
      });

      it('creates, finds by each login field and updates', async () => {
        const u = await s.users.create(
          newUser({
            username: 'alice',
            email: 'alice@example.com',
            phoneNumber: '+8613800000000',
            name: 'Alice',
            passwordHash: 'h1',
            groups: ['admin', 'dev'],
            expiresAt: later(),
            emailVerified: true,
          }),
        );
        expect(u).toMatchObject({ username: 'alice', groups: ['admin', 'dev'], emailVerified: true, phoneVerified: false });
        expect(await s.users.get(u.id)).toEqual(u);
        expect(await s.users.findByLogin(tenantId, 'C', 'username', 'alice')).toEqual(u);
        expect(await s.users.findByLogin(tenantId, 'C', 'email', 'alice@example.com')).toEqual(u);
        expect(await s.users.findByLogin(tenantId, 'C', 'phone', '+8613800000000')).toEqual(u);
        expect(await s.users.findByLogin(tenantId, 'P', 'username', 'alice')).toBeNull();
        expect(await s.users.findByLogin('other', 'C', 'username', 'alice')).toBeNull();

        const up = await s.users.update(u.id, {
          status: 'blocked',
          name: null,
          email: null,
          emailVerified: false,
          phoneVerified: true,
          groups: [],
          expiresAt: null,
        });
        expect(up).toMatchObject({
          status: 'blocked',
          name: null,
          email: null,
          phoneVerified: true,
          groups: [],
          expiresAt: null,
          username: 'alice',
        });
        expect(await s.users.findByLogin(tenantId, 'C', 'email', 'alice@example.com')).toBeNull();
        expect(await s.users.update('missing', { status: 'active' })).toBeNull();
        expect(await s.users.get('missing')).toBeNull();
      });

      it('keeps username, email and phone unique per tenant and user type', async () => {
        await s.users.create(newUser({ username: 'bob', email: 'bob@example.com', phoneNumber: '+8613900000000' }));
        expectAlreadyExists(await rejection(s.users.create(newUser({ username: 'bob' }))), 'username');
        expectAlreadyExists(await rejection(s.users.create(newUser({ email: 'bob@example.com' }))), 'email');
        expectAlreadyExists(await rejection(s.users.create(newUser({ phoneNumber: '+8613900000000' }))), 'phone_number');
        const existing = await s.users.create(newUser());
        expectAlreadyExists(await rejection(s.users.create(newUser({ id: existing.id }))), 'user_id');
        // Another user type, or NULLs, do not conflict.
        await s.users.create(newUser({ userType: 'P', username: 'bob', email: 'bob@example.com', phoneNumber: '+8613900000000' }));
        await s.users.create(newUser());
        // Nor does an update, except into a taken value.
        const carol = await s.users.create(newUser({ username: 'carol' }));
        expectAlreadyExists(await rejection(s.users.update(carol.id, { email: 'bob@example.com' })), 'email');
        expect((await s.users.update(carol.id, { email: 'carol@example.com' }))?.email).toBe('carol@example.com');
      });

      it('upgrades a password hash only while it is still the expected one', async () => {
        const u = await s.users.create(newUser({ passwordHash: 'bcrypt' }));
        await s.users.upgradePasswordHash(u.id, 'bcrypt', 'argon2');
        expect((await s.users.get(u.id))?.passwordHash).toBe('argon2');
        await s.users.update(u.id, { passwordHash: 'changed-by-user' });
        await s.users.upgradePasswordHash(u.id, 'argon2', 'argon2-rehash');
        expect((await s.users.get(u.id))?.passwordHash).toBe('changed-by-user');
        await s.users.upgradePasswordHash('missing', 'a', 'b');
      });

      it('deletes a user with its sessions and refresh tokens; false when there was none', async () => {
        const u = await s.users.create(newUser({ username: nextId('del') }));
        const { id, hash } = await startSession(u.id);
        expect(await s.users.delete(u.id)).toBe(true);
        expect(await s.users.get(u.id)).toBeNull();
        expect(await s.sessions.get(id)).toBeNull();
        expect(await s.sessions.findRefreshToken(hash)).toBeNull();
        expect(await s.users.delete(u.id)).toBe(false);
        // Its identifiers are free again.
        await s.users.create(newUser({ username: u.username }));
      });

      it('purges expired anonymous users only, oldest first, at most `limit` at a time', async () => {
        // Expiries far in the past, so that nothing else in the store is in the window.
        const at = (y: number) => new Date(Date.UTC(y, 0, 1));
        const oldest = await s.users.create(newUser({ anonymous: true, expiresAt: at(1971) }));
        const older = await s.users.create(newUser({ anonymous: true, expiresAt: at(1972) }));
        const notYet = await s.users.create(newUser({ anonymous: true, expiresAt: at(1975) }));
        const full = await s.users.create(newUser({ anonymous: false, expiresAt: at(1970) }));
        const forever = await s.users.create(newUser({ anonymous: true, expiresAt: null }));
        const { id: sessionId } = await startSession(oldest.id);
        expect(await s.users.purgeExpiredAnonymous(at(1974), 1)).toBe(1);
        expect(await s.users.get(oldest.id)).toBeNull();
        expect(await s.sessions.get(sessionId)).toBeNull();
        expect(await s.users.get(older.id)).not.toBeNull();
        expect(await s.users.purgeExpiredAnonymous(at(1974), 10)).toBe(1);
        expect(await s.users.get(older.id)).toBeNull();
        expect(await s.users.purgeExpiredAnonymous(at(1974), 10)).toBe(0);
        for (const kept of [notYet, full, forever]) expect(await s.users.get(kept.id)).not.toBeNull();
      });

      it('lists users of a tenant page by page', async () => {
        const tenant = nextId('tenant');
        await s.tenants.create({ id: tenant, name: 'u', status: 'enabled', policy: {} });
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await s.users.create(newUser({ tenantId: tenant }))).id);
        const p1 = await s.users.list({ pageSize: 3, pageToken: '' }, { tenantId: tenant });
        const p2 = await s.users.list({ pageSize: 3, pageToken: p1.nextPageToken }, { tenantId: tenant });
        expect([...p1.items, ...p2.items].map((u) => u.id)).toEqual(ids);
        expect(p2.nextPageToken).toBe('');
        const exact = await s.users.list({ pageSize: 5, pageToken: '' }, { tenantId: tenant });
        expect(exact.items).toHaveLength(5);
        expect(exact.nextPageToken).toBe('');
      });
    });

    describe('sessions', () => {
      it('starts a session whose refresh token finds it', async () => {
        const u = await s.users.create(newUser());
        const { id, hash, revoked } = await startSession(u.id, { deviceId: 'd1' });
        expect(revoked).toEqual([]);
        const session = await s.sessions.get(id);
        expect(session).toMatchObject({
          id,
          tenantId,
          userId: u.id,
          clientId,
          deviceId: 'd1',
          channel: 'web',
          scope: 'openid',
          revokedAt: null,
          revokeReason: null,
        });
        const found = await s.sessions.findRefreshToken(hash);
        expect(found?.session).toEqual(session);
        expect(found?.token).toMatchObject({ hash, sessionId: id, rotatedAt: null, successor: null });
        expect(found?.token.createdAt).toBeInstanceOf(Date);
        expect(found?.token.expiresAt.getTime()).toBeGreaterThan(Date.now());
        expect(await s.sessions.findRefreshToken('missing')).toBeNull();
        expect(await s.sessions.get('missing')).toBeNull();
      });

      it('keeps when and how the user authenticated, through every read and a rotation', async () => {
        const u = await s.users.create(newUser());
        // Before the session itself: a session started from another one (an authorization code).
        const authTime = new Date(Date.now() - 5 * HOUR);
        const { id, hash } = await startSession(u.id, { authTime, amr: ['pwd', 'sms', 'mfa'] });
        const expected = { authTime, amr: ['pwd', 'sms', 'mfa'] };
        expect(await s.sessions.get(id)).toMatchObject(expected);
        expect((await s.sessions.findRefreshToken(hash))?.session).toMatchObject(expected);
        expect((await s.sessions.listLive(u.id, new Date())).find((x) => x.id === id)).toMatchObject(expected);
        const next = nextId('rt');
        expect(await s.sessions.rotate(hash, 'sealed', { hash: next, sessionId: id, expiresAt: later() })).toBe(true);
        expect((await s.sessions.findRefreshToken(next))?.session).toMatchObject(expected);
        // None (an anonymous user) reads back as none.
        const anonymous = await startSession(u.id, { amr: [] });
        expect((await s.sessions.get(anonymous.id))?.amr).toEqual([]);
        expect((await s.sessions.findRefreshToken(anonymous.hash))?.session.amr).toEqual([]);
        if (opened.db) {
          const [row] = await opened.db.db.prisma.$queryRawUnsafe<{ amr: string }[]>('SELECT amr FROM sessions WHERE id = $1', id);
          expect(row.amr).toBe('pwd sms mfa');
        }
      });

      // A rolling upgrade: instances of the previous release call the function with fifteen arguments.
      it.runIf(backend.prisma)("starts a session through the previous release's call: auth_time now, no amr", async () => {
        const u = await s.users.create(newUser());
        const id = nextId('old');
        const before = Date.now() - 1000;
        await opened.db!.db.prisma.$queryRawUnsafe(
          `SELECT signet_start_session($1, $2, $3, $4, '', 'web', 'openid', $5::timestamptz, $6, 2, false, 1397311310,
             'device_replaced', 'channel_replaced', 'max_sessions')`,
          id,
          tenantId,
          u.id,
          clientId,
          later(),
          `${id}-rt`,
        );
        started(u.id, id);
        const session = await s.sessions.get(id);
        expect(session?.amr).toEqual([]);
        expect(session?.authTime.getTime()).toBeGreaterThanOrEqual(before);
      });

      it('replaces the live session of the same client and device', async () => {
        const u = await s.users.create(newUser());
        const otherClient = nextId('client');
        await s.clients.create(newClient(otherClient, tenantId));
        const a = await startSession(u.id, { deviceId: 'phone' });
        const onOtherClient = await startSession(u.id, { deviceId: 'phone', client: otherClient });
        const noDevice1 = await startSession(u.id, { deviceId: '' });
        const b = await startSession(u.id, { deviceId: 'phone', max: 10 });
        expect(b.revoked).toEqual([a.id]);
        expect(await s.sessions.get(a.id)).toMatchObject({ revokeReason: 'device_replaced' });
        expect((await s.sessions.get(a.id))?.revokedAt).toBeInstanceOf(Date);
        // An empty device id never replaces anything.
        const noDevice2 = await startSession(u.id, { deviceId: '', max: 10 });
        expect(noDevice2.revoked).toEqual([]);
        expect(await liveSessions(u.id)).toEqual([onOtherClient.id, noDevice1.id, b.id, noDevice2.id].sort());
      });

      it('revokes the oldest live sessions beyond maxSessions, the new one included', async () => {
        const u = await s.users.create(newUser());
        // Started first: as the newest session it would itself count against the limit.
        const expired = await startSession(u.id, { expiresAt: new Date(Date.now() - 1000) });
        const started = [];
        for (let i = 0; i < 3; i++) started.push(await startSession(u.id, { deviceId: `d${i}` }));
        expect(started.map((x) => x.revoked)).toEqual([[], [], []]);
        const fourth = await startSession(u.id, { deviceId: 'd3' });
        expect(fourth.revoked).toEqual([started[0].id]);
        expect(await s.sessions.get(started[0].id)).toMatchObject({ revokeReason: 'max_sessions' });
        expect(await liveSessions(u.id)).toEqual([started[1].id, started[2].id, fourth.id]);
        // Expired sessions are not live: neither counted nor revoked.
        expect((await s.sessions.get(expired.id))?.revokedAt).toBeNull();
        // Lowering the limit evicts several at once; a limit below 1 still keeps the new session.
        const one = await startSession(u.id, { max: 0 });
        expect([...one.revoked].sort()).toEqual([started[1].id, started[2].id, fourth.id]);
        expect(await liveSessions(u.id)).toEqual([one.id]);
      });

      it('serialises parallel starts for one user: 20 at once with maxSessions 3 leave exactly 3 live', async () => {
        const u = await s.users.create(newUser());
        // Where the backend has one, a second handle (another pool on PostgreSQL) stands in for a
        // second Signet process.
        const second: Database | undefined = await opened.openSecond?.();
        try {
          const stores = [s, second?.storage ?? s];
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => {
              const id = nextId('par');
              started(u.id, id);
              return stores[i % 2].sessions.start(
                { id, tenantId, userId: u.id, clientId, deviceId: '', channel: '', scope: '', ...AUTHENTICATED, expiresAt: later() },
                { hash: `${id}-rt`, sessionId: id, expiresAt: later() },
                3,
              );
            }),
          );
          const revoked = results.flat();
          expect(new Set(revoked).size).toBe(revoked.length);
          expect(revoked).toHaveLength(17);
          expect(await liveSessions(u.id)).toHaveLength(3);
        } finally {
          await second?.close();
        }
      });

      it('rolls the whole start back when it fails', async () => {
        const u = await s.users.create(newUser());
        const a = await startSession(u.id, { deviceId: 'tv' });
        const e = await rejection(
          s.sessions.start(
            { id: a.id, tenantId, userId: u.id, clientId, deviceId: 'tv', channel: '', scope: '', ...AUTHENTICATED, expiresAt: later() },
            { hash: nextId('rt'), sessionId: a.id, expiresAt: later() },
            3,
          ),
        );
        expectAlreadyExists(e, 'session_id');
        expect((await s.sessions.get(a.id))?.revokedAt).toBeNull();
        const missingUser = await rejection(startSession('no-such-user'));
        expect(missingUser.reason).toBe('not_found');
      });

      it("with exclusiveChannel revokes the user's other live sessions of that client and channel only", async () => {
        const u = await s.users.create(newUser());
        const other = await s.users.create(newUser());
        const otherClient = nextId('client');
        await s.clients.create(newClient(otherClient, tenantId));
        const start = async (userId: string, channel: string, deviceId: string, client = clientId, exclusive = false) => {
          const id = nextId('chan');
          const revoked = await s.sessions.start(
            { id, tenantId, userId, clientId: client, deviceId, channel, scope: '', ...AUTHENTICATED, expiresAt: later() },
            { hash: `${id}-rt`, sessionId: id, expiresAt: later() },
            10,
            { exclusiveChannel: exclusive },
          );
          started(userId, id);
          return { id, revoked };
        };
        const web1 = await start(u.id, 'web', 'laptop');
        const web2 = await start(u.id, 'web', 'desktop');
        const app = await start(u.id, 'app', 'phone');
        const elsewhere = await start(u.id, 'web', 'laptop', otherClient);
        const otherUser = await start(other.id, 'web', 'laptop');
        // Without the option, channels do not matter.
        expect(web2.revoked).toEqual([]);
        const web3 = await start(u.id, 'web', 'tablet', clientId, true);
        expect([...web3.revoked].sort()).toEqual([web1.id, web2.id].sort());
        expect(await s.sessions.get(web1.id)).toMatchObject({ revokeReason: 'channel_replaced' });
        expect(await liveSessions(u.id)).toEqual([app.id, web3.id, elsewhere.id].sort());
        expect(await liveSessions(other.id)).toEqual([otherUser.id]);
        // The same device is replaced as before, under its own reason, and counted once.
        const web4 = await start(u.id, 'web', 'tablet', clientId, true);
        expect(web4.revoked).toEqual([web3.id]);
        expect(await s.sessions.get(web3.id)).toMatchObject({ revokeReason: 'device_replaced' });
        const app2 = await start(u.id, 'app', 'phone-2', clientId, true);
        expect(app2.revoked).toEqual([app.id]);
        expect(await liveSessions(u.id)).toEqual([web4.id, app2.id, elsewhere.id].sort());
      });

      it('rotates a refresh token once', async () => {
        const u = await s.users.create(newUser());
        const { id, hash } = await startSession(u.id);
        const next = nextId('rt');
        expect(await s.sessions.rotate(hash, 'sealed-pair', { hash: next, sessionId: id, expiresAt: later() })).toBe(true);
        const old = await s.sessions.findRefreshToken(hash);
        expect(old?.token.rotatedAt).toBeInstanceOf(Date);
        expect(old?.token.successor).toBe('sealed-pair');
        expect((await s.sessions.findRefreshToken(next))?.token).toMatchObject({ hash: next, sessionId: id, rotatedAt: null });
        expect(await s.sessions.rotate(hash, 'again', { hash: nextId('rt'), sessionId: id, expiresAt: later() })).toBe(false);
        expect((await s.sessions.findRefreshToken(hash))?.token.successor).toBe('sealed-pair');
        expect(await s.sessions.rotate('missing', 'x', { hash: nextId('rt'), sessionId: id, expiresAt: later() })).toBe(false);
        // A successor hash that is already taken fails cleanly, and the old token stays unrotated.
        const fresh = await startSession(u.id);
        expectAlreadyExists(
          await rejection(s.sessions.rotate(fresh.hash, 'x', { hash: next, sessionId: id, expiresAt: later() })),
          'refresh_token',
        );
        expect((await s.sessions.findRefreshToken(fresh.hash))?.token.rotatedAt).toBeNull();
      });

      it('does not rotate a token of a revoked session', async () => {
        const u = await s.users.create(newUser());
        const { id, hash } = await startSession(u.id);
        expect((await s.sessions.findRefreshToken(hash))?.user).toMatchObject({ id: u.id, status: 'active' });
        expect(await s.sessions.revoke(id, 'signed_out')).toBe(true);
        expect(await s.sessions.rotate(hash, 'x', { hash: nextId('rt'), sessionId: id, expiresAt: later() })).toBe(false);
        expect((await s.sessions.findRefreshToken(hash))?.token.rotatedAt).toBeNull();
      });

      it('lets exactly one of many concurrent rotations of the same token win', async () => {
        const u = await s.users.create(newUser());
        const { id, hash } = await startSession(u.id);
        const nexts = Array.from({ length: 12 }, () => nextId('rt'));
        const wins = await Promise.all(
          nexts.map((n) => s.sessions.rotate(hash, `succ-${n}`, { hash: n, sessionId: id, expiresAt: later() })),
        );
        expect(wins.filter(Boolean)).toHaveLength(1);
        const winner = nexts[wins.indexOf(true)];
        expect((await s.sessions.findRefreshToken(hash))?.token.successor).toBe(`succ-${winner}`);
        // The winner's successor is stored, no loser's.
        for (const n of nexts) expect((await s.sessions.findRefreshToken(n)) !== null, n).toBe(n === winner);
        if (opened.db) {
          const stored = await opened.db.db.prisma.refreshToken.findMany({ where: { sessionId: id } });
          expect(stored.map((r) => r.hash).sort()).toEqual([hash, winner].sort());
        }
      });

      it('revokes one session, and all live sessions of a user', async () => {
        const u = await s.users.create(newUser());
        const expired = await startSession(u.id, { expiresAt: new Date(Date.now() - 1000), deviceId: 'x' });
        const a = await startSession(u.id, { deviceId: 'a' });
        const b = await startSession(u.id, { deviceId: 'b' });
        const c = await startSession(u.id, { deviceId: 'c' });
        expect(await s.sessions.revoke(a.id, 'logout')).toBe(true);
        expect(await s.sessions.revoke(a.id, 'logout')).toBe(false);
        expect(await s.sessions.revoke(expired.id, 'logout')).toBe(false);
        expect(await s.sessions.revoke('missing', 'logout')).toBe(false);
        expect(await s.sessions.get(a.id)).toMatchObject({ revokeReason: 'logout' });
        expect((await s.sessions.findRefreshToken(a.hash))?.session.revokedAt).toBeInstanceOf(Date);

        const all = await s.sessions.revokeAllForUser(u.id, 'password_changed');
        expect([...all].sort()).toEqual([b.id, c.id].sort());
        expect(await s.sessions.get(b.id)).toMatchObject({ revokeReason: 'password_changed' });
        expect(await s.sessions.get(a.id)).toMatchObject({ revokeReason: 'logout' });
        expect(await liveSessions(u.id)).toEqual([]);
        expect(await s.sessions.revokeAllForUser(u.id, 'again')).toEqual([]);
      });

      it('revokes all live sessions of a user but one; by device; and lists the live ones newest first', async () => {
        const u = await s.users.create(newUser());
        const other = await s.users.create(newUser());
        const a = await startSession(u.id, { deviceId: 'phone' });
        const b = await startSession(u.id, { deviceId: 'laptop' });
        const c = await startSession(u.id, { deviceId: '' });
        const theirs = await startSession(other.id, { deviceId: 'laptop' });
        expect((await s.sessions.listLive(u.id, new Date())).map((x) => x.id).sort()).toEqual([a.id, b.id, c.id].sort());
        expect(await s.sessions.revokeDevice(u.id, 'laptop', 'revoked_device')).toEqual([b.id]);
        expect(await s.sessions.get(theirs.id)).toMatchObject({ revokedAt: null });
        const ended = await s.sessions.revokeAllForUser(u.id, 'password_changed', c.id);
        expect(ended).toEqual([a.id]);
        expect((await s.sessions.listLive(u.id, new Date())).map((x) => x.id)).toEqual([c.id]);
        expect(await s.sessions.revokeAllForUser(u.id, 'again', '')).toEqual([c.id]);
      });

      it('knows the devices a user has had a session on, live, revoked or expired', async () => {
        const u = await s.users.create(newUser());
        const other = await s.users.create(newUser());
        await startSession(u.id, { deviceId: 'live' });
        const revoked = await startSession(u.id, { deviceId: 'revoked' });
        await s.sessions.revoke(revoked.id, 'logout');
        await startSession(u.id, { deviceId: 'expired', expiresAt: new Date(Date.now() - 1000) });
        await startSession(u.id, { deviceId: '' });
        // Replaced by a later start on the same device: still a device the user has used.
        await startSession(u.id, { deviceId: 'live' });

        for (const d of ['live', 'revoked', 'expired']) expect(await s.sessions.hasDevice(u.id, d), d).toBe(true);
        expect(await s.sessions.hasDevice(u.id, 'never')).toBe(false);
        expect(await s.sessions.hasDevice(u.id, 'LIVE')).toBe(false);
        // No device is never a known device, even with sessions that have none.
        expect(await s.sessions.hasDevice(u.id, '')).toBe(false);
        expect(await s.sessions.hasDevice(other.id, 'live')).toBe(false);
        expect(await s.sessions.hasDevice('no-such-user', 'live')).toBe(false);
      });
    });

    consentContract({
      storage: () => s,
      prisma: () => opened.db?.db.prisma,
      tenantId,
      nextId,
      newUser: () => newUser(),
      newClient,
      startSession,
      rejection,
    });

    describe('audit', () => {
      const T = Date.parse('2030-01-01T00:00:00Z');
      type Appended = AuditEventInput & { time: Date };
      /** Newest first: time descending, then id descending. */
      const newestFirst = (a: AuditEvent, b: AuditEvent) => b.time.getTime() - a.time.getTime() || b.id - a.id;

      async function listAll(filter: Parameters<Storage['audit']['list']>[0], pageSize: number) {
        const items: AuditEvent[] = [];
        let pageToken = '';
        let pages = 0;
        do {
          const page = await s.audit.list(filter, { pageSize, pageToken });
          items.push(...page.items);
          pageToken = page.nextPageToken;
          pages++;
        } while (pageToken !== '' && pages < 1000);
        return { items, pages };
      }

      it('appends 1 000 events in two batches and lists them newest first, filtered and paged', async () => {
        const tenant = nextId('audit-tenant');
        const users = [nextId('audit-user'), nextId('audit-user'), nextId('audit-user')];
        const kinds = ['sign_in', 'sign_in_failed', 'token', 'lock'];
        // Three events per millisecond, so that time ties are broken by id.
        const batch = (from: number): Appended[] =>
          Array.from({ length: 500 }, (_, j) => {
            const i = from + j;
            return {
              event: kinds[i % kinds.length],
              time: new Date(T + Math.floor(i / 3)),
              tenantId: tenant,
              userId: users[i % users.length],
              clientId: clientId,
              deviceId: i % 2 ? `dev-${i}` : undefined,
              ip: i % 5 ? '203.0.113.7' : '2001:db8::1',
              reason: i % kinds.length === 1 ? 'invalid_password' : 'password',
            };
          });
        const input = [...batch(0), ...batch(500)];
        await s.audit.append(input.slice(0, 500));
        await s.audit.append(input.slice(500));

        const all = await listAll({ tenantId: tenant }, 500);
        expect(all.pages).toBe(2);
        expect(all.items).toHaveLength(1000);
        expect(all.items).toEqual([...all.items].sort(newestFirst));
        expect(new Set(all.items.map((e) => e.id)).size).toBe(1000);
        for (const e of all.items) expect(Number.isSafeInteger(e.id) && e.id > 0).toBe(true);
        // Ids follow the order of insertion.
        const byId = [...all.items].sort((a, b) => a.id - b.id);
        expect(byId.map((e) => e.time.getTime())).toEqual(input.map((e) => e.time.getTime()));
        // Every field comes back; absent ones stay absent.
        const newest = all.items[0];
        expect(newest).toEqual({ ...input[999], id: newest.id });
        const noDevice = byId[998];
        expect(noDevice).toEqual({ ...input[998], id: noDevice.id });
        expect('deviceId' in noDevice).toBe(false);

        // Default page size 50, then the same order page after page.
        const first = await s.audit.list({ tenantId: tenant }, { pageSize: 0, pageToken: '' });
        expect(first.items).toEqual(all.items.slice(0, 50));
        const second = await s.audit.list({ tenantId: tenant }, { pageSize: 0, pageToken: first.nextPageToken });
        expect(second.items).toEqual(all.items.slice(50, 100));
        // Small pages across time ties.
        const small = await listAll({ tenantId: tenant }, 7);
        expect(small.items).toEqual(all.items);
        expect(small.pages).toBe(Math.ceil(1000 / 7));
        // At most 500 a page.
        const big = await s.audit.list({ tenantId: tenant }, { pageSize: 10_000, pageToken: '' });
        expect(big.items).toEqual(all.items.slice(0, 500));

        // Each filter, and filters combined.
        const expectFiltered = async (filter: Parameters<Storage['audit']['list']>[0], keep: (e: AuditEvent) => boolean) => {
          const want = all.items.filter(keep);
          expect(want.length).toBeGreaterThan(0);
          expect((await listAll({ tenantId: tenant, ...filter }, 60)).items).toEqual(want);
        };
        await expectFiltered({ userId: users[1] }, (e) => e.userId === users[1]);
        await expectFiltered({ event: 'sign_in_failed' }, (e) => e.event === 'sign_in_failed');
        await expectFiltered({ since: new Date(T + 300) }, (e) => e.time.getTime() >= T + 300);
        await expectFiltered(
          { userId: users[0], event: 'token', since: new Date(T + 100) },
          (e) => e.userId === users[0] && e.event === 'token' && e.time.getTime() >= T + 100,
        );
        // A user's events without the tenant filter.
        expect((await listAll({ userId: users[2] }, 200)).items).toEqual(all.items.filter((e) => e.userId === users[2]));
        // Empty strings filter nothing (proto defaults).
        expect((await s.audit.list({ tenantId: tenant, userId: '', event: '' }, { pageSize: 5, pageToken: '' })).items).toEqual(
          all.items.slice(0, 5),
        );
        // Nothing matches.
        expect(await s.audit.list({ tenantId: tenant, event: 'nope' }, { pageSize: 0, pageToken: '' })).toEqual({
          items: [],
          nextPageToken: '',
        });
        expect(await s.audit.list({ tenantId: tenant, since: new Date(T + 10_000) }, { pageSize: 0, pageToken: '' })).toEqual({
          items: [],
          nextPageToken: '',
        });

        for (const bad of ['not a token!', Buffer.from('12').toString('base64url'), Buffer.from('a.b').toString('base64url')]) {
          const err = await rejection(s.audit.list({ tenantId: tenant }, { pageSize: 2, pageToken: bad }));
          expect(err.reason).toBe('invalid_argument');
        }
      });

      it('keeps any text intact, including array-literal syntax', async () => {
        const tenant = nextId('audit-tenant');
        const awkward = ['NULL', 'a,b', '{x}', '"quoted"', 'back\\slash', ' spaced ', '多字节 ✓', "it's", 'line\nbreak'];
        const input: Appended[] = awkward.map((text, i) => ({
          event: text,
          time: new Date(T + i),
          tenantId: tenant,
          userId: text,
          clientId: text,
          deviceId: text,
          ip: text,
          reason: text,
        }));
        input.push({ event: 'bare', time: new Date(T + 100), tenantId: tenant, userId: '', reason: '' });
        await s.audit.append(input);
        const { items } = await s.audit.list({ tenantId: tenant }, { pageSize: 100, pageToken: '' });
        expect(items.map(({ id: _, ...rest }) => rest)).toEqual(
          // Empty optional fields are stored as absent.
          [{ event: 'bare', time: new Date(T + 100), tenantId: tenant }, ...[...input.slice(0, -1)].reverse()],
        );
        await s.audit.append([]);
      });

      it('purges events older than a time and says how many', async () => {
        const tenant = nextId('audit-tenant');
        const old = Date.parse('2001-01-01T00:00:00Z');
        await s.audit.append(
          Array.from({ length: 30 }, (_, i) => ({ event: 'sign_in', time: new Date(old + i * HOUR), tenantId: tenant })),
        );
        // Strictly older: the event at the boundary stays.
        expect(await s.audit.purge(new Date(old + 10 * HOUR))).toBe(10);
        const left = (await listAll({ tenantId: tenant }, 100)).items;
        expect(left).toHaveLength(20);
        expect(left.at(-1)?.time).toEqual(new Date(old + 10 * HOUR));
        expect(await s.audit.purge(new Date(old + 10 * HOUR))).toBe(0);
        expect(await s.audit.purge(new Date(old + 30 * HOUR))).toBe(20);
        expect((await s.audit.list({ tenantId: tenant }, { pageSize: 0, pageToken: '' })).items).toEqual([]);
      });

      // Prisma only: counts the SQL statements an append sends (the memory backend has none).
      it.runIf(backend.prisma)('appends a batch in one statement', async () => {
        const calls: string[] = [];
        const t = opened.db!;
        const base = prismaExecutor(t.db.prisma);
        const counting: SqlExecutor = {
          query: (name, text, values) => (calls.push(name), base.query(name, text, values)),
          execute: (name, text, values) => (calls.push(name), base.execute(name, text, values)),
        };
        const store = createPrismaStorage(t.db.prisma, { sql: counting });
        const tenant = nextId('audit-tenant');
        await store.audit.append(Array.from({ length: 500 }, (_, i) => ({ event: 'token', time: new Date(T + i), tenantId: tenant })));
        expect(calls).toEqual(['signet_audit_append']);
        expect((await listAll({ tenantId: tenant }, 500)).items).toHaveLength(500);
      });
    });

    describe('signing keys', () => {
      const key = (kid: string, createdAt: Date) => ({
        kid,
        alg: 'ES256',
        status: 'active' as const,
        privateKeySealed: `sealed-${kid}`,
        publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid },
        createdAt,
        retireAt: null,
      });

      it('publishes active keys and retired ones until retireAt, oldest first', async () => {
        const t0 = Date.now() - 10 * HOUR;
        const old = key('k-old', new Date(t0));
        const mid = key('k-mid', new Date(t0 + HOUR));
        const cur = key('k-cur', new Date(t0 + 2 * HOUR));
        for (const k of [cur, old, mid]) await s.signingKeys.insert(k);
        expect((await s.signingKeys.listPublished(new Date())).map((k) => k.kid)).toEqual(['k-old', 'k-mid', 'k-cur']);
        expect((await s.signingKeys.listPublished(new Date()))[0]).toEqual(old);

        await s.signingKeys.retireAllExcept('k-cur', later(HOUR));
        const published = await s.signingKeys.listPublished(new Date());
        expect(published.map((k) => [k.kid, k.status])).toEqual([
          ['k-old', 'retired'],
          ['k-mid', 'retired'],
          ['k-cur', 'active'],
        ]);
        expect(published[0].retireAt?.getTime()).toBeGreaterThan(Date.now());
        expect((await s.signingKeys.listPublished(later(2 * HOUR))).map((k) => k.kid)).toEqual(['k-cur']);

        expectAlreadyExists(await rejection(s.signingKeys.insert(cur)), 'kid');
      });
    });

    describe('transport keys', () => {
      const tk = (thumbprint: string, createdAt: Date) => ({
        thumbprint,
        bits: 2048,
        status: 'active' as const,
        privateKeySealed: `sealed-${thumbprint}`,
        publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${thumbprint}\n-----END PUBLIC KEY-----\n`,
        createdAt,
        retireAt: null,
      });

      it('lists active keys and retired ones until retireAt, oldest first; retires all but one', async () => {
        const t0 = Date.now() - 10 * HOUR;
        const [a, b, c] = [nextId('tk'), nextId('tk'), nextId('tk')];
        const old = tk(a, new Date(t0));
        const mid = { ...tk(b, new Date(t0 + HOUR)), bits: 3072 };
        const cur = tk(c, new Date(t0 + 2 * HOUR));
        for (const k of [cur, old, mid]) await s.transportKeys.insert(k);
        const usable = await s.transportKeys.listUsable(new Date());
        expect(usable.map((k) => k.thumbprint)).toEqual([a, b, c]);
        expect(usable[0]).toEqual(old);
        expect(usable[1].bits).toBe(3072);

        await s.transportKeys.retireAllExcept(c, later(HOUR));
        const after = await s.transportKeys.listUsable(new Date());
        expect(after.map((k) => [k.thumbprint, k.status])).toEqual([
          [a, 'retired'],
          [b, 'retired'],
          [c, 'active'],
        ]);
        expect(after[0].retireAt?.getTime()).toBeGreaterThan(Date.now());
        // Past the grace period only the active key decrypts.
        expect((await s.transportKeys.listUsable(later(2 * HOUR))).map((k) => k.thumbprint)).toEqual([c]);
        // Retiring again leaves the already retired keys' deadline alone.
        await s.transportKeys.retireAllExcept(c, later(5 * HOUR));
        expect((await s.transportKeys.listUsable(later(2 * HOUR))).map((k) => k.thumbprint)).toEqual([c]);

        expectAlreadyExists(await rejection(s.transportKeys.insert(cur)), 'thumbprint');
      });
    });

    describe('ticket keys', () => {
      const jwk = (x: string) => ({ kty: 'OKP', crv: 'Ed25519', x });

      it('adds keys per client, lists them oldest first, refuses a kid twice and removes', async () => {
        const other = nextId('client');
        await s.clients.create(newClient(other, tenantId));
        const a = await s.ticketKeys.add({ clientId: other, kid: 'k1', alg: 'EdDSA', publicJwk: jwk('a') });
        expect(a).toMatchObject({ clientId: other, kid: 'k1', alg: 'EdDSA', publicJwk: jwk('a') });
        expect(Math.abs(a.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
        await s.ticketKeys.add({ clientId: other, kid: 'k2', alg: 'ES256', publicJwk: jwk('b') });
        // The same kid on another client is another key.
        await s.ticketKeys.add({ clientId: clientId, kid: 'k1', alg: 'EdDSA', publicJwk: jwk('c') });

        expect((await s.ticketKeys.list(other)).map((k) => k.kid)).toEqual(['k1', 'k2']);
        expect(await s.ticketKeys.get(other, 'k1')).toEqual(a);
        expect((await s.ticketKeys.get(clientId, 'k1'))?.publicJwk).toEqual(jwk('c'));
        expect(await s.ticketKeys.get(other, 'nope')).toBeNull();

        expectAlreadyExists(await rejection(s.ticketKeys.add({ clientId: other, kid: 'k1', alg: 'EdDSA', publicJwk: jwk('d') })), 'kid');
        const missing = await rejection(s.ticketKeys.add({ clientId: nextId('client'), kid: 'k', alg: 'EdDSA', publicJwk: jwk('e') }));
        expect(missing.reason).toBe('not_found');
        expect(missing.details.metadata).toEqual({ field: 'client_id' });

        expect(await s.ticketKeys.remove(other, 'k1')).toBe(true);
        expect(await s.ticketKeys.remove(other, 'k1')).toBe(false);
        expect((await s.ticketKeys.list(other)).map((k) => k.kid)).toEqual(['k2']);
        expect(await s.ticketKeys.list(nextId('client'))).toEqual([]);
      });
    });

    describe('identities', () => {
      it('creates a user with its identity, finds it by the identity, and forgets the link with the user', async () => {
        const identity = { provider: `custom:${clientId}`, subject: nextId('ext') };
        expect(await s.identities.findUser(identity)).toBeNull();
        const u = newUser();
        const created = await s.identities.createLinked(u, identity);
        expect(created).toMatchObject({ id: u.id, username: null, status: 'active' });
        expect(await s.identities.findUser(identity)).toEqual(created);
        // The same subject under another provider is another identity.
        expect(await s.identities.findUser({ provider: 'custom:elsewhere', subject: identity.subject })).toBeNull();

        expect(await s.users.delete(u.id)).toBe(true);
        expect(await s.identities.findUser(identity)).toBeNull();
      });

      it('links an identity once: the loser of a race leaves no user behind', async () => {
        const identity = { provider: `custom:${clientId}`, subject: nextId('ext') };
        const first = await s.identities.createLinked(newUser(), identity);
        const second = newUser();
        expectAlreadyExists(await rejection(s.identities.createLinked(second, identity)), 'subject');
        expect(await s.users.get(second.id)).toBeNull();
        expect((await s.identities.findUser(identity))?.id).toBe(first.id);
        // A taken login refuses the user, and no link is made.
        const taken = nextId('name');
        await s.users.create(newUser({ username: taken }));
        const other = { provider: `custom:${clientId}`, subject: nextId('ext') };
        expectAlreadyExists(await rejection(s.identities.createLinked(newUser({ username: taken }), other)), 'username');
        expect(await s.identities.findUser(other)).toBeNull();
      });
    });
  });
}

for (const backend of CONTRACT_BACKENDS) contract(backend);
