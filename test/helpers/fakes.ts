// Deps for unit tests: the in-memory storage (test/helpers/memory-storage.ts, held to the storage
// contract suite like the real backends), the in-process key-value store and a capturing sender.
// Integration tests use the real PostgreSQL, PGlite and Redis backends.
import { pino } from 'pino';
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
import type { AuditEvent, Storage } from '../../src/domain/ports.js';
import { sharedStores } from '../../src/storage/kv/index.js';
import { memoryStorage } from './memory-storage.js';

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
 * Deps on the in-memory storage and the in-process store. `clock` is the domain's clock and the
 * store's (a FakeClock moves TTLs too); the storage keeps real time, as PostgreSQL's now() does.
 */
/** Unit tests may look at the store under the ports (the domain never does). */
export type FakeDeps = Deps & { kv: MemoryKeyValueStore };

export async function fakeDeps(overrides: Partial<Deps['settings']> = {}, clock: Clock = systemClock): Promise<FakeDeps> {
  const storage = memoryStorage();
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
      sudoTtlSeconds: 300,
      authorizationCodeTtlSeconds: 60,
      deviceCodeTtlSeconds: 600,
      deviceCodeIntervalSeconds: 5,
      ssoTtlSeconds: 28800,
      accessTokenTtl: 600,
      refreshTokenTtl: 86400,
      maxSessions: 2,
      anonymousTtlSeconds: 2592000,
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
  deps.audit = new AuditLog(storage.audit, deps.log, clock, { flushMs: 0 });
  deps.lockout = new Lockout(stores.lockout, clock);
  deps.limiter = new RateLimiter(deps.stores.counters, deps.settings.defence, deps.clock);
  await deps.keys.init();
  return deps;
}

/** Every audit event stored, oldest first (the order they were appended in), read through the port. */
export async function storedAuditEvents(storage: Storage): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let pageToken = '';
  do {
    const page = await storage.audit.list({}, { pageSize: 500, pageToken });
    events.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return events.reverse();
}
