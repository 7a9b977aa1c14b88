// In-memory fakes of the domain's ports, for unit tests only: integration tests use the real
// PostgreSQL, PGlite and Redis backends.
import { pino } from 'pino';
import type { Client, RefreshToken, Session, SigningKey, Tenant, TransportKey, User } from '../../src/domain/model.js';
import type { AuditEvent, NewRefreshToken, NewSession, SessionStartOptions, Storage } from '../../src/domain/ports.js';
import { MemoryKeyValueStore } from '../../src/storage/memory/index.js';
import { AuditLog } from '../../src/domain/audit.js';
import { Lockout } from '../../src/domain/defence/lockout.js';
import { RateLimiter } from '../../src/domain/defence/ratelimit.js';
import type { CodeMessage } from '../../src/domain/senders.js';
import type { Deps } from '../../src/domain/deps.js';
import { KeyRing } from '../../src/domain/keys/signing-keys.js';
import { TransportKeyRing } from '../../src/domain/keys/transport-keys.js';
import { PasswordHasher } from '../../src/domain/accounts/passwords.js';
import { Directory } from '../../src/domain/accounts/directory.js';
import { systemClock, type Clock } from '../../src/domain/clock.js';
import { sharedStores } from '../../src/storage/kv/index.js';
import { SignetError } from '../../src/domain/errors.js';

const page = <T extends { id: string }>(all: T[]) => ({ items: all, nextPageToken: '' });

export function fakeStorage(): Storage & { sessionRows: Session[]; tokenRows: Map<string, RefreshToken>; auditRows: AuditEvent[] } {
  const tenants = new Map<string, Tenant>();
  const clients = new Map<string, Client>();
  const users = new Map<string, User>();
  const sessionRows: Session[] = [];
  const tokenRows = new Map<string, RefreshToken>();
  const keys: SigningKey[] = [];
  const transportKeys: TransportKey[] = [];
  const auditRows: AuditEvent[] = [];
  const now = () => new Date();
  const live = (s: Session) => !s.revokedAt && s.expiresAt > now();
  const revoke = (s: Session, reason: string) => Object.assign(s, { revokedAt: now(), revokeReason: reason });
  return {
    sessionRows,
    tokenRows,
    auditRows,
    tenants: {
      async create(t) {
        const r = { ...t, createdAt: now(), updatedAt: now() };
        tenants.set(t.id, r);
        return r;
      },
      async get(id) {
        return tenants.get(id) ?? null;
      },
      async list() {
        return page([...tenants.values()]);
      },
      async update(id, p) {
        const t = tenants.get(id);
        return t ? Object.assign(t, { ...p, policy: { ...t.policy, ...p.policy } }) : null;
      },
    },
    clients: {
      async create(c) {
        const r = { ...c, createdAt: now(), updatedAt: now() };
        clients.set(c.id, r);
        return r;
      },
      async get(id) {
        return clients.get(id) ?? null;
      },
      async list() {
        return page([...clients.values()]);
      },
      async update(id, p) {
        const c = clients.get(id);
        return c ? Object.assign(c, p) : null;
      },
    },
    users: {
      async create(u) {
        for (const x of users.values()) {
          if (x.tenantId === u.tenantId && x.userType === u.userType && u.username && x.username === u.username) {
            throw new SignetError('already_exists', 'unique_violation');
          }
        }
        const r = { ...u, createdAt: now(), updatedAt: now() };
        users.set(u.id, r);
        return r;
      },
      async get(id) {
        return users.get(id) ?? null;
      },
      async findByLogin(tenantId, userType, field, value) {
        const col = field === 'phone' ? 'phoneNumber' : field;
        return [...users.values()].find((u) => u.tenantId === tenantId && u.userType === userType && u[col] === value) ?? null;
      },
      async list() {
        return page([...users.values()]);
      },
      async update(id, p) {
        const u = users.get(id);
        return u ? Object.assign(u, p) : null;
      },
      async upgradePasswordHash(id, expected, next) {
        const u = users.get(id);
        if (u?.passwordHash === expected) u.passwordHash = next;
      },
    },
    sessions: {
      async start(s: NewSession, t: NewRefreshToken, max: number, opts: SessionStartOptions = {}) {
        const revoked: string[] = [];
        const mine = () => sessionRows.filter((x) => live(x) && x.userId === s.userId && x.clientId === s.clientId);
        for (const x of mine()) {
          if (s.deviceId && x.deviceId === s.deviceId) {
            revoke(x, 'device_replaced');
            revoked.push(x.id);
          } else if (opts.exclusiveChannel && x.channel === s.channel) {
            revoke(x, 'channel_replaced');
            revoked.push(x.id);
          }
        }
        sessionRows.push({ ...s, createdAt: now(), revokedAt: null, revokeReason: null });
        tokenRows.set(t.hash, { ...t, createdAt: now(), rotatedAt: null, successor: null });
        const all = mine();
        for (const x of all.slice(0, Math.max(0, all.length - max))) {
          revoke(x, 'max');
          revoked.push(x.id);
        }
        return revoked;
      },
      async get(id) {
        return sessionRows.find((s) => s.id === id) ?? null;
      },
      async findRefreshToken(hash) {
        const token = tokenRows.get(hash);
        const session = token && sessionRows.find((s) => s.id === token.sessionId);
        const user = session && users.get(session.userId);
        return token && session && user ? { token: { ...token }, session: { ...session }, user: { ...user } } : null;
      },
      async rotate(oldHash, successor, next, at) {
        const t = tokenRows.get(oldHash);
        if (!t || t.rotatedAt) return false;
        Object.assign(t, { rotatedAt: at ?? now(), successor });
        tokenRows.set(next.hash, { ...next, createdAt: now(), rotatedAt: null, successor: null });
        return true;
      },
      async revoke(id, reason) {
        const s = sessionRows.find((x) => x.id === id);
        if (!s || !live(s)) return false;
        revoke(s, reason);
        return true;
      },
      async revokeAllForUser(userId, reason) {
        return sessionRows.filter((s) => live(s) && s.userId === userId).map((s) => (revoke(s, reason), s.id));
      },
      async hasDevice(userId, deviceId) {
        return deviceId !== '' && sessionRows.some((s) => s.userId === userId && s.deviceId === deviceId);
      },
    },
    audit: {
      async append(events) {
        auditRows.push(...events.map((e) => ({ ...e, id: auditRows.length + 1 })));
      },
      async list() {
        return { items: [...auditRows].reverse(), nextPageToken: '' };
      },
      async purge() {
        return 0;
      },
    },
    signingKeys: {
      async listPublished(at) {
        return keys.filter((k) => !k.retireAt || k.retireAt > at);
      },
      async insert(k) {
        keys.push({ ...k });
      },
      async retireAllExcept(kid, retireAt) {
        for (const k of keys) if (k.kid !== kid && k.status === 'active') Object.assign(k, { status: 'retired', retireAt });
      },
    },
    transportKeys: {
      async listUsable(at) {
        return transportKeys.filter((k) => k.status === 'active' || !k.retireAt || k.retireAt > at).map((k) => ({ ...k }));
      },
      async insert(k) {
        if (transportKeys.some((x) => x.thumbprint === k.thumbprint))
          throw new SignetError('already_exists', 'unique_violation', { metadata: { field: 'thumbprint' } });
        transportKeys.push({ ...k });
      },
      async retireAllExcept(thumbprint, retireAt) {
        for (const k of transportKeys)
          if (k.thumbprint !== thumbprint && k.status === 'active') Object.assign(k, { status: 'retired', retireAt });
      },
    },
    async close() {},
  };
}

/** Captures what would be sent, so tests can read the codes. */
export function fakeSender() {
  const sent: CodeMessage[] = [];
  return {
    name: 'fake',
    sent,
    async send(m: CodeMessage) {
      sent.push(m);
    },
  };
}

/**
 * Deps on fakes and the in-process store. `clock` is the domain's clock and the store's (a
 * FakeClock moves TTLs too); the fake storage keeps real time.
 */
export async function fakeDeps(
  overrides: Partial<Deps['settings']> = {},
  clock: Clock = systemClock,
): Promise<Deps & { storage: ReturnType<typeof fakeStorage> }> {
  const storage = fakeStorage();
  // The in-process store is a real backend, deterministic and synchronous inside: fine for units.
  const kv = new MemoryKeyValueStore({ sweepIntervalMs: 0, now: () => clock.now() });
  const stores = sharedStores(kv);
  const deps = {
    storage,
    stores,
    kv,
    sender: fakeSender(),
    audit: undefined as unknown as AuditLog,
    lockout: undefined as unknown as Lockout,
    limiter: undefined as unknown as RateLimiter,
    hmacKey: Buffer.alloc(32, 9),
    keys: new KeyRing(storage.signingKeys, Buffer.alloc(32, 3), 'ES256', 3600, clock),
    // Not initialised here (an RSA key takes a while to make): tests that need one call init().
    transportKeys: new TransportKeyRing(storage.transportKeys, Buffer.alloc(32, 3), { bits: 2048, graceSeconds: 3600 }, clock),
    hasher: new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }),
    directory: new Directory(storage.clients, storage.tenants, clock, 0),
    settings: {
      issuer: 'http://unit.test',
      refreshGraceSeconds: 5,
      accessTokenTtl: 600,
      refreshTokenTtl: 86400,
      maxSessions: 2,
      defence: {
        ipPerMinute: 0,
        clientPerMinute: 0,
        ipFailuresCaptcha: 0,
        ipFailuresBlock: 0,
        ipFailureWindowSeconds: 900,
        captchaTtlSeconds: 300,
      },
      codes: { ttlSeconds: 300, resendSeconds: 60, dailyLimit: 10, maxAttempts: 5 },
      ...overrides,
    },
    log: pino({ level: 'silent' }),
    clock,
    now: () => new Date(clock.now()),
  };
  deps.audit = new AuditLog(storage.audit, deps.log, clock, 0);
  deps.lockout = new Lockout(stores.lockout, clock);
  deps.limiter = new RateLimiter(deps.kv, deps.settings.defence, clock);
  await deps.keys.init();
  return deps;
}
