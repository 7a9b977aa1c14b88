// An in-memory Storage for unit tests. It is held to the same contract as the Prisma backends:
// test/integration/storage.test.ts runs its per-repository tests against it too, so where the two
// differ one of them is wrong. The rules below mirror src/storage/prisma (and the SQL behind it):
// the uniqueness and reference checks of the schema, keyset paging, the session-start rules of
// signet_start_session, the rotation statement, the audit order and cursor.
//
// Every method runs to completion without awaiting, so each is atomic as the SQL statements are;
// rows are copied in and out, so a caller can never change what is stored by mutating a result.
import type {
  Client,
  Page,
  PageRequest,
  RefreshToken,
  Session,
  SigningKey,
  Tenant,
  TicketKey,
  TransportKey,
  User,
} from '../../src/domain/model.js';
import type {
  AuditEvent,
  AuditEventInput,
  AuditFilter,
  NewRefreshToken,
  NewUser,
  NewSession,
  SessionStartOptions,
  Storage,
} from '../../src/domain/ports.js';
import { invalidArgument, SignetError } from '../../src/domain/errors.js';
import { pageQuery, toPage } from '../../src/storage/prisma/paging.js';
import { memoryConsents } from './memory-consents.js';

export interface MemoryStorageOptions {
  /** The storage's own clock (PostgreSQL's now()): real time unless given. */
  now?: () => number;
}

const alreadyExists = (field: string) => new SignetError('already_exists', 'unique_violation', { metadata: { field } });
const referenceMissing = (field: string) => new SignetError('not_found', 'reference_missing', { metadata: { field } });

/** Dates, arrays and nested objects copied: nothing stored is shared with a caller. */
const copy = <T>(v: T): T => structuredClone(v);
/** What a jsonb column keeps: undefined members dropped. */
const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Only the keys a patch may carry and that are present, as the Prisma repositories pick them. */
function pick<T extends object, K extends keyof T>(patch: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (patch[k] !== undefined) out[k] = patch[k];
  return out;
}

/** Keyset paging by id, ascending (the order of a C-collated text primary key). */
function pageById<T extends { id: string }>(rows: Iterable<T>, page: PageRequest, keep: (r: T) => boolean = () => true): Page<T> {
  const q = pageQuery(page);
  const sorted = [...rows]
    .filter((r) => keep(r) && (q.after === undefined || r.id > q.after))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, q.size + 1);
  return toPage(sorted.map(copy), q, (r) => r.id);
}

const AUDIT_OPTIONAL = ['tenantId', 'userId', 'clientId', 'deviceId', 'ip', 'reason', 'detail'] as const;

/** The audit page token's content, as the Prisma repository writes it: time (epoch ms) and id. */
function parseAuditCursor(after: string): { time: number; id: number } {
  const m = /^(\d{1,15})\.(\d{1,19})$/.exec(after);
  if (!m) throw invalidArgument('page_token', 'page_token is not a token returned by a previous call');
  return { time: Number(m[1]), id: Number(m[2]) };
}

const newestFirst = (a: AuditEvent, b: AuditEvent) => b.time.getTime() - a.time.getTime() || b.id - a.id;

const USER_PATCH_KEYS = [
  'status',
  'passwordHash',
  'groups',
  'name',
  'email',
  'emailVerified',
  'phoneNumber',
  'phoneVerified',
  'expiresAt',
  'username',
  'picture',
  'gender',
  'locale',
  'anonymous',
] as const;

const CLIENT_PATCH_KEYS = [
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
] as const;

/** The unique login columns of users, by the API field a conflict names. */
const LOGIN_UNIQUE = [
  ['username', 'username'],
  ['email', 'email'],
  ['phone_number', 'phoneNumber'],
] as const;

const LOGIN_COLUMNS = { username: 'username', email: 'email', phone: 'phoneNumber' } as const;

export function memoryStorage(opts: MemoryStorageOptions = {}): Storage {
  const clock = opts.now ?? Date.now;
  const now = () => new Date(clock());

  const tenants = new Map<string, Tenant>();
  const clients = new Map<string, Client>();
  const users = new Map<string, User>();
  const sessions = new Map<string, Session>();
  const tokens = new Map<string, RefreshToken>();
  const signingKeys = new Map<string, SigningKey>();
  const transportKeys = new Map<string, TransportKey>();
  const consents = memoryConsents({ tenant: (id) => tenants.has(id), user: (id) => users.has(id), client: (id) => clients.has(id) }, now);
  /** By client id, then kid. */
  const ticketKeys = new Map<string, Map<string, TicketKey>>();
  /** User ids by provider and subject (JSON of the pair: no separator to forge). */
  const identities = new Map<string, string>();
  const identityKey = (provider: string, subject: string) => JSON.stringify([provider, subject]);
  let auditRows: AuditEvent[] = [];
  let auditSeq = 0;

  const live = (s: Session, at: Date) => s.revokedAt === null && s.expiresAt > at;
  const revoke = (s: Session, at: Date, reason: string) => {
    s.revokedAt = at;
    s.revokeReason = reason;
  };

  /** One UPDATE … WHERE <which> AND live … RETURNING id. */
  const revokeLive = (reason: string, which: (s: Session) => boolean): string[] => {
    const at = now();
    const ids: string[] = [];
    for (const s of sessions.values()) {
      if (which(s) && live(s, at)) {
        revoke(s, at, reason);
        ids.push(s.id);
      }
    }
    return ids;
  };

  /** The uniqueness rule of users: login columns per tenant and user type, NULLs never clash. */
  function loginConflict(u: User, exceptId?: string): string | undefined {
    for (const [field, col] of LOGIN_UNIQUE) {
      const v = u[col];
      if (v === null) continue;
      for (const x of users.values()) {
        if (x.id !== exceptId && x.tenantId === u.tenantId && x.userType === u.userType && x[col] === v) return field;
      }
    }
    return undefined;
  }

  /** A new user's row, checked as the INSERT checks it (nothing is written). */
  function userRow(u: NewUser): User {
    if (users.has(u.id)) throw alreadyExists('user_id');
    const at = now();
    const row: User = {
      id: u.id,
      tenantId: u.tenantId,
      userType: u.userType,
      username: u.username ?? null,
      email: u.email ?? null,
      emailVerified: u.emailVerified ?? false,
      phoneNumber: u.phoneNumber ?? null,
      phoneVerified: u.phoneVerified ?? false,
      name: u.name ?? null,
      picture: u.picture ?? null,
      gender: u.gender ?? null,
      locale: u.locale ?? null,
      anonymous: u.anonymous ?? false,
      passwordHash: u.passwordHash ?? null,
      status: u.status,
      expiresAt: u.expiresAt ? new Date(u.expiresAt) : null,
      groups: [...(u.groups ?? [])],
      createdAt: at,
      updatedAt: at,
    };
    // Unique indexes are checked as the row goes in, foreign keys at the end of the statement.
    const clash = loginConflict(row);
    if (clash) throw alreadyExists(clash);
    if (!tenants.has(u.tenantId)) throw referenceMissing('tenant_id');
    return row;
  }

  return {
    tenants: {
      async create(t) {
        if (tenants.has(t.id)) throw alreadyExists('tenant_id');
        const at = now();
        const row: Tenant = { id: t.id, name: t.name, status: t.status, policy: json(t.policy ?? {}), createdAt: at, updatedAt: at };
        tenants.set(t.id, row);
        return copy(row);
      },
      async get(id) {
        const t = tenants.get(id);
        return t ? copy(t) : null;
      },
      async list(page) {
        return pageById(tenants.values(), page);
      },
      async update(id, patch) {
        const { policy, ...data } = pick(patch, ['name', 'status', 'policy'] as const);
        const t = tenants.get(id);
        if (!t) return null;
        if (!policy && Object.keys(data).length === 0) return copy(t);
        Object.assign(t, data);
        // Merged into the stored policy key by key, as `policy || patch` does.
        if (policy) t.policy = { ...t.policy, ...json(policy) };
        t.updatedAt = now();
        return copy(t);
      },
    },

    clients: {
      async create(c) {
        if (clients.has(c.id)) throw alreadyExists('client_id');
        if (!tenants.has(c.tenantId)) throw referenceMissing('tenant_id');
        const at = now();
        const row: Client = {
          id: c.id,
          tenantId: c.tenantId,
          name: c.name,
          type: c.type,
          secretHash: c.secretHash,
          grantTypes: [...(c.grantTypes ?? [])],
          scopes: [...(c.scopes ?? [])],
          accessTokenTtl: c.accessTokenTtl,
          refreshTokenTtl: c.refreshTokenTtl,
          maxSessions: c.maxSessions,
          status: c.status,
          passwordEncryption: c.passwordEncryption ?? 'none',
          rejectReplayedPasswords: c.rejectReplayedPasswords ?? false,
          signUpEnabled: c.signUpEnabled ?? true,
          redirectUris: [...(c.redirectUris ?? [])],
          firstParty: c.firstParty ?? true,
          customTicketSignUp: c.customTicketSignUp ?? false,
          createdAt: at,
          updatedAt: at,
        };
        clients.set(c.id, row);
        return copy(row);
      },
      async get(id) {
        const c = clients.get(id);
        return c ? copy(c) : null;
      },
      async list(page, filter) {
        return pageById(clients.values(), page, (c) => !filter.tenantId || c.tenantId === filter.tenantId);
      },
      async update(id, patch) {
        const data = pick(patch, CLIENT_PATCH_KEYS);
        const c = clients.get(id);
        if (!c) return null;
        if (Object.keys(data).length === 0) return copy(c);
        Object.assign(c, copy(data), { updatedAt: now() });
        return copy(c);
      },
    },

    users: {
      async create(u) {
        const row = userRow(u);
        users.set(u.id, row);
        return copy(row);
      },
      async get(id) {
        const u = users.get(id);
        return u ? copy(u) : null;
      },
      async findByLogin(tenantId, userType, field, value) {
        const col = LOGIN_COLUMNS[field];
        if (!col) return null;
        for (const u of users.values()) {
          if (u.tenantId === tenantId && u.userType === userType && u[col] === value) return copy(u);
        }
        return null;
      },
      async list(page, filter) {
        return pageById(users.values(), page, (u) => !filter.tenantId || u.tenantId === filter.tenantId);
      },
      async update(id, patch) {
        const data = pick(patch, USER_PATCH_KEYS);
        const u = users.get(id);
        if (!u) return null;
        if (Object.keys(data).length === 0) return copy(u);
        const next: User = { ...u, ...copy(data), updatedAt: now() };
        const clash = loginConflict(next, id);
        if (clash) throw alreadyExists(clash);
        users.set(id, next);
        return copy(next);
      },
      async upgradePasswordHash(id, expected, next) {
        const u = users.get(id);
        if (!u || u.passwordHash !== expected) return false;
        Object.assign(u, { passwordHash: next, updatedAt: now() });
        return true;
      },
      async passwordHashOf(id) {
        return users.get(id)?.passwordHash;
      },
      async delete(id) {
        if (!users.has(id)) return false;
        users.delete(id);
        // ON DELETE CASCADE: the user's sessions and their refresh tokens go with it, its consents and its identities.
        for (const [sid, s] of sessions) if (s.userId === id) sessions.delete(sid);
        for (const [h, t] of tokens) if (!sessions.has(t.sessionId)) tokens.delete(h);
        consents.forgetUser(id);
        for (const [k, userId] of identities) if (userId === id) identities.delete(k);
        return true;
      },
      async purgeExpiredAnonymous(before, limit) {
        const doomed = [...users.values()]
          .filter((u) => u.anonymous && u.expiresAt !== null && u.expiresAt < before)
          .sort((a, b) => (a.expiresAt as Date).getTime() - (b.expiresAt as Date).getTime())
          .slice(0, limit);
        for (const u of doomed) await this.delete(u.id);
        return doomed.length;
      },
    },

    ticketKeys: {
      async add(k) {
        if (ticketKeys.get(k.clientId)?.has(k.kid)) throw alreadyExists('kid');
        if (!clients.has(k.clientId)) throw referenceMissing('client_id');
        const row: TicketKey = { clientId: k.clientId, kid: k.kid, alg: k.alg, publicJwk: json(k.publicJwk), createdAt: now() };
        ticketKeys.set(k.clientId, (ticketKeys.get(k.clientId) ?? new Map<string, TicketKey>()).set(k.kid, row));
        return copy(row);
      },
      async get(clientId, kid) {
        const k = ticketKeys.get(clientId)?.get(kid);
        return k ? copy(k) : null;
      },
      async list(clientId) {
        return [...(ticketKeys.get(clientId)?.values() ?? [])]
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0))
          .map(copy);
      },
      async remove(clientId, kid) {
        return ticketKeys.get(clientId)?.delete(kid) ?? false;
      },
    },

    identities: {
      async findUser({ provider, subject }) {
        const id = identities.get(identityKey(provider, subject));
        const u = id === undefined ? undefined : users.get(id);
        return u ? copy(u) : null;
      },
      async createLinked(u, { provider, subject }) {
        // Both rows are checked before either is written: both go in, or neither.
        const row = userRow(u);
        const key = identityKey(provider, subject);
        if (identities.has(key)) throw alreadyExists('subject');
        users.set(u.id, row);
        identities.set(key, u.id);
        return copy(row);
      },
    },

    sessions: {
      // signet_start_session (prisma/migrations/20261204100000_session_auth), step by step.
      async start(s: NewSession, token: NewRefreshToken, maxSessions: number, opts: SessionStartOptions = {}) {
        const keep = Math.max(Math.trunc(maxSessions), 1) - 1; // live sessions kept besides the new one
        // Everything is checked before anything changes: a failed start leaves no trace.
        if (sessions.has(s.id)) throw alreadyExists('session_id');
        if (tokens.has(token.hash)) throw alreadyExists('refresh_token');
        if (!tenants.has(s.tenantId)) throw referenceMissing('tenant_id');
        if (!users.has(s.userId)) throw referenceMissing('user_id');
        if (!clients.has(s.clientId)) throw referenceMissing('client_id');
        const at = now();
        const mine = [...sessions.values()].filter((x) => x.userId === s.userId && x.clientId === s.clientId && live(x, at));
        const revoked: string[] = [];
        // Replace the device's session and, with exclusiveChannel, the channel's.
        const others: Session[] = [];
        for (const x of mine) {
          const sameDevice = s.deviceId !== '' && x.deviceId === s.deviceId;
          if (sameDevice || (opts.exclusiveChannel === true && x.channel === s.channel)) {
            revoke(x, at, sameDevice ? 'device_replaced' : 'channel_replaced');
            revoked.push(x.id);
          } else {
            others.push(x);
          }
        }
        sessions.set(s.id, {
          id: s.id,
          tenantId: s.tenantId,
          userId: s.userId,
          clientId: s.clientId,
          deviceId: s.deviceId ?? '',
          channel: s.channel ?? '',
          scope: s.scope ?? '',
          authTime: new Date(s.authTime),
          amr: [...s.amr],
          createdAt: at,
          expiresAt: new Date(s.expiresAt),
          revokedAt: null,
          revokeReason: null,
        });
        // The first token belongs to the new session and expires with it.
        tokens.set(token.hash, {
          hash: token.hash,
          sessionId: s.id,
          createdAt: at,
          expiresAt: new Date(s.expiresAt),
          rotatedAt: null,
          successor: null,
        });
        // Of the others, the newest `keep` stay (created_at, then id, descending).
        others.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
        for (const x of others.slice(keep)) {
          revoke(x, at, 'max_sessions');
          revoked.push(x.id);
        }
        return revoked;
      },
      async get(id) {
        const s = sessions.get(id);
        return s ? copy(s) : null;
      },
      async findRefreshToken(hash) {
        const token = tokens.get(hash);
        const session = token && sessions.get(token.sessionId);
        const user = session && users.get(session.userId);
        return token && session && user ? { token: copy(token), session: copy(session), user: copy(user) } : null;
      },
      async rotate(oldHash, successor, next, rotatedAt) {
        const old = tokens.get(oldHash);
        if (!old || old.rotatedAt !== null) return false;
        // A session revoked (or expired) after the token was read gets no new pair.
        const session = sessions.get(next.sessionId);
        if (!session || !live(session, now())) return false;
        if (tokens.has(next.hash)) throw alreadyExists('refresh_token');
        // As PostgreSQL's COALESCE($6, now()): the domain's time when it gives one.
        const at = rotatedAt ? new Date(rotatedAt) : now();
        old.rotatedAt = at;
        old.successor = successor;
        tokens.set(next.hash, {
          hash: next.hash,
          sessionId: next.sessionId,
          createdAt: at,
          expiresAt: new Date(next.expiresAt),
          rotatedAt: null,
          successor: null,
        });
        return true;
      },
      async revoke(id, reason) {
        const s = sessions.get(id);
        const at = now();
        if (!s || !live(s, at)) return false;
        revoke(s, at, reason);
        return true;
      },
      async revokeAllForUser(userId, reason, exceptSessionId = '') {
        return revokeLive(reason, (s) => s.userId === userId && s.id !== exceptSessionId);
      },
      async revokeDevice(userId, deviceId, reason) {
        return revokeLive(reason, (s) => s.userId === userId && s.deviceId === deviceId);
      },
      async revokeClient(userId, clientId, reason) {
        return revokeLive(reason, (s) => s.userId === userId && s.clientId === clientId);
      },
      async listLive(userId, at) {
        return [...sessions.values()]
          .filter((s) => s.userId === userId && live(s, at))
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
          .slice(0, 500)
          .map(copy);
      },
      async hasDevice(userId, deviceId) {
        if (deviceId === '') return false;
        for (const s of sessions.values()) if (s.userId === userId && s.deviceId === deviceId) return true;
        return false;
      },
    },

    consents: {
      find: consents.find,
      grant: consents.grant,
      list: consents.list,
      revoke: consents.revoke,
    },

    audit: {
      async append(events: (AuditEventInput & { time: Date })[]) {
        for (const e of events) {
          const row: AuditEvent = { id: ++auditSeq, time: new Date(e.time), event: e.event };
          // Absent and empty optional fields are stored as NULL, and come back absent.
          for (const k of AUDIT_OPTIONAL) {
            const v = e[k];
            if (v !== undefined && v !== '') row[k] = v;
          }
          auditRows.push(row);
        }
      },
      async list(filter: AuditFilter, page) {
        const q = pageQuery(page);
        const cursor = q.after === undefined ? undefined : parseAuditCursor(q.after);
        const rows = auditRows
          .filter(
            (e) =>
              (!filter.userId || e.userId === filter.userId) &&
              (!filter.tenantId || e.tenantId === filter.tenantId) &&
              (!filter.event || e.event === filter.event) &&
              (!filter.events || filter.events.includes(e.event)) &&
              !filter.excludeEvents?.includes(e.event) &&
              (!filter.since || e.time >= filter.since) &&
              (!cursor || e.time.getTime() < cursor.time || (e.time.getTime() === cursor.time && e.id < cursor.id)),
          )
          .sort(newestFirst)
          .slice(0, q.size + 1);
        return toPage(rows.map(copy), q, (e) => `${e.time.getTime()}.${e.id}`);
      },
      async purge(before) {
        const kept = auditRows.filter((e) => e.time >= before);
        const n = auditRows.length - kept.length;
        auditRows = kept;
        return n;
      },
    },

    signingKeys: {
      async listPublished(at) {
        return [...signingKeys.values()]
          .filter((k) => k.status === 'active' || k.retireAt === null || k.retireAt > at)
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0))
          .map(copy);
      },
      async insert(k) {
        if (signingKeys.has(k.kid)) throw alreadyExists('kid');
        signingKeys.set(k.kid, { ...copy(k), publicJwk: json(k.publicJwk), createdAt: new Date(k.createdAt ?? clock()) });
      },
      async retireAllExcept(exceptKid, retireAt) {
        for (const k of signingKeys.values()) {
          if (k.status === 'active' && k.kid !== exceptKid) Object.assign(k, { status: 'retired', retireAt: new Date(retireAt) });
        }
      },
    },

    transportKeys: {
      async listUsable(at) {
        return [...transportKeys.values()]
          .filter((k) => k.status === 'active' || k.retireAt === null || k.retireAt > at)
          .sort(
            (a, b) =>
              a.createdAt.getTime() - b.createdAt.getTime() || (a.thumbprint < b.thumbprint ? -1 : a.thumbprint > b.thumbprint ? 1 : 0),
          )
          .map(copy);
      },
      async insert(k) {
        if (transportKeys.has(k.thumbprint)) throw alreadyExists('thumbprint');
        transportKeys.set(k.thumbprint, { ...copy(k), createdAt: new Date(k.createdAt ?? clock()) });
      },
      async retireAllExcept(exceptThumbprint, retireAt) {
        for (const k of transportKeys.values()) {
          if (k.status === 'active' && k.thumbprint !== exceptThumbprint) {
            Object.assign(k, { status: 'retired', retireAt: new Date(retireAt) });
          }
        }
      },
    },

    async close() {},
  };
}
