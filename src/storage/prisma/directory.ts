// Tenants, clients and users: plain rows through Prisma's query API, one statement per call
// (create … RETURNING, UPDATE … RETURNING via updateManyAndReturn, keyset-paged findMany).
import type {
  Client,
  ClientStatus,
  ClientType,
  LoginField,
  Page,
  PageRequest,
  PasswordEncryption,
  Tenant,
  TenantPolicy,
  TenantStatus,
  User,
  UserStatus,
  UserType,
} from '../../domain/model.js';
import type {
  ClientPatch,
  ClientRepository,
  NewClient,
  NewTenant,
  NewUser,
  TenantPatch,
  TenantRepository,
  UserPatch,
  UserRepository,
} from '../../domain/ports.js';
import type { Client as ClientRow, Prisma, PrismaClient, Tenant as TenantRow, User as UserRow } from '../../gen/prisma/client.js';
import { guard } from './errors.js';
import { pageQuery, toPage } from './paging.js';
import { prismaExecutor, type SqlExecutor } from './sessions.js';

export const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  name: r.name,
  status: r.status as TenantStatus,
  policy: (r.policy ?? {}) as TenantPolicy,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

export const toClient = (r: ClientRow): Client => ({
  id: r.id,
  tenantId: r.tenantId,
  name: r.name,
  type: r.type as ClientType,
  secretHash: r.secretHash,
  grantTypes: r.grantTypes ?? [],
  scopes: r.scopes ?? [],
  accessTokenTtl: r.accessTokenTtl,
  refreshTokenTtl: r.refreshTokenTtl,
  maxSessions: r.maxSessions,
  status: r.status as ClientStatus,
  passwordEncryption: r.passwordEncryption as PasswordEncryption,
  rejectReplayedPasswords: r.rejectReplayedPasswords,
  signUpEnabled: r.signUpEnabled,
  redirectUris: r.redirectUris ?? [],
  firstParty: r.firstParty,
  customTicketSignUp: r.customTicketSignUp,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

export const toUser = (r: UserRow): User => ({
  id: r.id,
  tenantId: r.tenantId,
  userType: r.userType as UserType,
  username: r.username,
  email: r.email,
  emailVerified: r.emailVerified,
  phoneNumber: r.phoneNumber,
  phoneVerified: r.phoneVerified,
  name: r.name,
  picture: r.picture,
  gender: r.gender,
  locale: r.locale,
  anonymous: r.anonymous,
  passwordHash: r.passwordHash,
  status: r.status as UserStatus,
  expiresAt: r.expiresAt,
  groups: r.groups ?? [],
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

/** Only the keys a patch may carry and that are present: nothing else reaches the UPDATE. */
function pick<T extends object, K extends keyof T>(patch: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (patch[k] !== undefined) out[k] = patch[k];
  return out;
}

const LOGIN_COLUMNS = { username: 'username', email: 'email', phone: 'phoneNumber' } as const satisfies Record<LoginField, keyof UserRow>;

export function createTenantRepository(prisma: PrismaClient): TenantRepository {
  return {
    async create(t: NewTenant) {
      const row = await guard(
        () =>
          prisma.tenant.create({
            data: { id: t.id, name: t.name, status: t.status, policy: t.policy as Prisma.InputJsonObject },
          }),
        'tenant_id',
      );
      return toTenant(row);
    },
    async get(id) {
      const row = await prisma.tenant.findUnique({ where: { id } });
      return row && toTenant(row);
    },
    async list(page: PageRequest): Promise<Page<Tenant>> {
      const q = pageQuery(page);
      const rows = await prisma.tenant.findMany({
        where: q.after === undefined ? {} : { id: { gt: q.after } },
        orderBy: { id: 'asc' },
        take: q.size + 1,
      });
      return toPage(rows.map(toTenant), q, (t) => t.id);
    },
    async update(id, patch: TenantPatch) {
      const { policy, ...data } = pick(patch, ['name', 'status', 'policy'] as const);
      if (!policy) {
        if (Object.keys(data).length === 0) return this.get(id);
        const rows = await prisma.tenant.updateManyAndReturn({ where: { id }, data });
        return rows[0] ? toTenant(rows[0]) : null;
      }
      return prisma.$transaction(async (tx) => {
        // Merged by the statement itself, so two operators changing different keys at once both land.
        const n = await tx.$executeRaw`
          UPDATE tenants SET policy = policy || ${JSON.stringify(policy)}::jsonb, updated_at = now() WHERE id = ${id}`;
        if (n === 0) return null;
        const rows = await tx.tenant.updateManyAndReturn({ where: { id }, data });
        return toTenant(rows[0]);
      });
    },
  };
}

export function createClientRepository(prisma: PrismaClient): ClientRepository {
  return {
    async create(c: NewClient) {
      const row = await guard(
        () =>
          prisma.client.create({
            data: {
              id: c.id,
              tenantId: c.tenantId,
              name: c.name,
              type: c.type,
              secretHash: c.secretHash,
              grantTypes: c.grantTypes,
              scopes: c.scopes,
              accessTokenTtl: c.accessTokenTtl,
              refreshTokenTtl: c.refreshTokenTtl,
              maxSessions: c.maxSessions,
              status: c.status,
              passwordEncryption: c.passwordEncryption,
              rejectReplayedPasswords: c.rejectReplayedPasswords,
              signUpEnabled: c.signUpEnabled,
              redirectUris: c.redirectUris,
              firstParty: c.firstParty,
              customTicketSignUp: c.customTicketSignUp,
            },
          }),
        'client_id',
      );
      return toClient(row);
    },
    async get(id) {
      const row = await prisma.client.findUnique({ where: { id } });
      return row && toClient(row);
    },
    async list(page, filter) {
      const q = pageQuery(page);
      const rows = await prisma.client.findMany({
        where: {
          ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
          ...(q.after === undefined ? {} : { id: { gt: q.after } }),
        },
        orderBy: { id: 'asc' },
        take: q.size + 1,
      });
      return toPage(rows.map(toClient), q, (c) => c.id);
    },
    async update(id, patch: ClientPatch) {
      const data = pick(patch, [
        'name',
        'status',
        'grantTypes',
        'scopes',
        'accessTokenTtl',
        'refreshTokenTtl',
        'maxSessions',
        'passwordEncryption',
        'rejectReplayedPasswords',
        'signUpEnabled',
        'redirectUris',
        'firstParty',
        'customTicketSignUp',
      ] as const);
      if (Object.keys(data).length === 0) return this.get(id);
      const rows = await prisma.client.updateManyAndReturn({ where: { id }, data });
      return rows[0] ? toClient(rows[0]) : null;
    },
  };
}

/** The row of a new user: users.create and identities.createLinked write the same one. */
export const userData = (u: NewUser) => ({
  id: u.id,
  tenantId: u.tenantId,
  userType: u.userType,
  username: u.username,
  email: u.email,
  emailVerified: u.emailVerified,
  phoneNumber: u.phoneNumber,
  phoneVerified: u.phoneVerified,
  name: u.name,
  picture: u.picture,
  gender: u.gender,
  locale: u.locale,
  anonymous: u.anonymous,
  passwordHash: u.passwordHash,
  status: u.status,
  expiresAt: u.expiresAt,
  groups: u.groups,
});

const PASSWORD_HASH_OF = 'SELECT password_hash FROM users WHERE id = $1::text';

export function createUserRepository(prisma: PrismaClient, sql: SqlExecutor = prismaExecutor(prisma)): UserRepository {
  return {
    async create(u: NewUser) {
      const row = await guard(() => prisma.user.create({ data: userData(u) }), 'user_id');
      return toUser(row);
    },
    async get(id) {
      const row = await prisma.user.findUnique({ where: { id } });
      return row && toUser(row);
    },
    async findByLogin(tenantId, userType, field, value) {
      const column = LOGIN_COLUMNS[field];
      if (!column) return null;
      const row = await prisma.user.findFirst({ where: { tenantId, userType, [column]: value } });
      return row && toUser(row);
    },
    async list(page, filter) {
      const q = pageQuery(page);
      const rows = await prisma.user.findMany({
        where: {
          ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
          ...(q.after === undefined ? {} : { id: { gt: q.after } }),
        },
        orderBy: { id: 'asc' },
        take: q.size + 1,
      });
      return toPage(rows.map(toUser), q, (u) => u.id);
    },
    async update(id, patch: UserPatch) {
      const data = pick(patch, [
        'status',
        'passwordHash',
        'groups',
        'name',
        'username',
        'email',
        'emailVerified',
        'phoneNumber',
        'phoneVerified',
        'expiresAt',
        'picture',
        'gender',
        'locale',
        'anonymous',
      ] as const);
      if (Object.keys(data).length === 0) return this.get(id);
      const rows = await guard(() => prisma.user.updateManyAndReturn({ where: { id }, data }));
      return rows[0] ? toUser(rows[0]) : null;
    },
    async upgradePasswordHash(id, expected, next) {
      const { count } = await prisma.user.updateMany({ where: { id, passwordHash: expected }, data: { passwordHash: next } });
      return count > 0;
    },
    async passwordHashOf(id) {
      // On the driver: every successful password sign-in asks it once (see sessions/start.ts).
      const [row] = await sql.query<{ password_hash: string | null }>('signet_password_hash_of', PASSWORD_HASH_OF, [id]);
      return row === undefined ? undefined : row.password_hash;
    },
    async delete(id) {
      const { count } = await prisma.user.deleteMany({ where: { id } });
      return count > 0;
    },
    async purgeExpiredAnonymous(before, limit) {
      // Bounded: a long backlog is purged over several runs, never in one long lock.
      return prisma.$executeRaw`
        DELETE FROM users WHERE id IN (
          SELECT id FROM users WHERE anonymous AND expires_at < ${before} ORDER BY expires_at LIMIT ${limit})`;
    },
  };
}
