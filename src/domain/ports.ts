// The storage interfaces the domain owns. src/storage/* implements them (Prisma on PostgreSQL or
// PGlite; Redis or in-process for the key-value store); one contract suite tests every backend.
import type {
  Client, LoginField, Page, PageRequest, RefreshToken, Session, SigningKey, Tenant, TransportKey, User, UserType,
} from './model.js';

export type NewTenant = Omit<Tenant, 'createdAt' | 'updatedAt'>;
/** `policy` is merged into the stored one (the keys given replace theirs), in one atomic step. */
export type TenantPatch = Partial<Pick<Tenant, 'name' | 'status' | 'policy'>>;

export interface TenantRepository {
  /** Throws SignetError('already_exists') when the id is taken. */
  create(t: NewTenant): Promise<Tenant>;
  get(id: string): Promise<Tenant | null>;
  list(page: PageRequest): Promise<Page<Tenant>>;
  update(id: string, patch: TenantPatch): Promise<Tenant | null>;
}

export type NewClient = Omit<Client, 'createdAt' | 'updatedAt'>;
export type ClientPatch = Partial<
  Pick<
    Client,
    | 'name' | 'status' | 'grantTypes' | 'scopes' | 'accessTokenTtl' | 'refreshTokenTtl' | 'maxSessions'
    | 'passwordEncryption' | 'rejectReplayedPasswords'
  >
>;

export interface ClientRepository {
  /** Throws SignetError('already_exists') when the id is taken. */
  create(c: NewClient): Promise<Client>;
  get(id: string): Promise<Client | null>;
  list(page: PageRequest, filter: { tenantId?: string }): Promise<Page<Client>>;
  update(id: string, patch: ClientPatch): Promise<Client | null>;
}

export type NewUser = Omit<User, 'createdAt' | 'updatedAt'>;
export type UserPatch = Partial<
  Pick<
    User,
    | 'status' | 'passwordHash' | 'groups' | 'name' | 'email' | 'emailVerified' | 'phoneNumber'
    | 'phoneVerified' | 'expiresAt'
  >
>;

export interface UserRepository {
  /**
   * Throws SignetError('already_exists') when username, email or phone is taken within the
   * tenant and user type. Username and email arrive lower-cased, phone numbers in E.164.
   */
  create(u: NewUser): Promise<User>;
  get(id: string): Promise<User | null>;
  findByLogin(tenantId: string, userType: UserType, field: LoginField, value: string): Promise<User | null>;
  list(page: PageRequest, filter: { tenantId?: string }): Promise<Page<User>>;
  /** Throws SignetError('already_exists') on a uniqueness conflict. */
  update(id: string, patch: UserPatch): Promise<User | null>;
  /** Replaces the hash only while it is still `expected`, so a concurrent password change wins. */
  upgradePasswordHash(id: string, expected: string, next: string): Promise<void>;
}

export type NewSession = Omit<Session, 'createdAt' | 'revokedAt' | 'revokeReason'>;
export type NewRefreshToken = Pick<RefreshToken, 'hash' | 'sessionId' | 'expiresAt'>;

export interface SessionStartOptions {
  /** Revoke the user's other live sessions on the same client and channel (web / app). */
  exclusiveChannel?: boolean;
}

export interface SessionRepository {
  /**
   * Starts a session with its first refresh token, serialised per user (several instances may
   * sign the same user in at once). In the same transaction it revokes the user's live session
   * on the same client and device (when deviceId is not empty), and then the oldest live sessions
   * of the user on that client until at most maxSessions remain, the new one included. With
   * `exclusiveChannel` it first revokes every live session of the user on that client and the
   * new session's channel (a tenant that allows one login per channel).
   * Returns the ids of the sessions it revoked.
   */
  start(session: NewSession, token: NewRefreshToken, maxSessions: number, opts?: SessionStartOptions): Promise<string[]>;
  get(id: string): Promise<Session | null>;
  /** The token with its session and the session's user, in one read. */
  findRefreshToken(hash: string): Promise<{ token: RefreshToken; session: Session; user: User } | null>;
  /**
   * Atomically marks `oldHash` rotated (recording `successor`) and stores `next`, only if
   * `oldHash` has not been rotated yet. False when another request rotated it first.
   */
  rotate(oldHash: string, successor: string, next: NewRefreshToken): Promise<boolean>;
  /** True when the session was live and is now revoked. */
  revoke(id: string, reason: string): Promise<boolean>;
  /** Revokes every live session of the user; returns their ids. */
  revokeAllForUser(userId: string, reason: string): Promise<string[]>;
  /** Whether the user has ever had a session (live or not) on this device. */
  hasDevice(userId: string, deviceId: string): Promise<boolean>;
}

export interface AuditEventInput {
  /** "sign_in", "sign_in_failed", "token", "token_failed", "lock", "unlock", "revoke", "sign_out", "code_sent", … */
  event: string;
  tenantId?: string;
  userId?: string;
  clientId?: string;
  deviceId?: string;
  ip?: string;
  /** The failure reason, or the grant type of a success. Never a secret. */
  reason?: string;
  /** Why it failed, for the operator (SignetError.detail). */
  detail?: string;
}

export interface AuditEvent extends AuditEventInput {
  id: number;
  time: Date;
}

export interface AuditFilter {
  userId?: string;
  tenantId?: string;
  event?: string;
  since?: Date;
}

export interface AuditRepository {
  /** One multi-row insert. */
  append(events: (AuditEventInput & { time: Date })[]): Promise<void>;
  /** Newest first; the page token is opaque. */
  list(filter: AuditFilter, page: PageRequest): Promise<Page<AuditEvent>>;
  /** Deletes events older than `before`; returns how many. */
  purge(before: Date): Promise<number>;
}

export interface SigningKeyRepository {
  /** Keys that are active or still published (retireAt in the future or null), oldest first. */
  listPublished(now: Date): Promise<SigningKey[]>;
  insert(k: SigningKey): Promise<void>;
  /** Marks every active key but `exceptKid` retired, to be unpublished at `retireAt`. */
  retireAllExcept(exceptKid: string, retireAt: Date): Promise<void>;
}

export interface TransportKeyRepository {
  /** Keys that are active or still decrypt (retireAt null or after `now`), oldest first. */
  listUsable(now: Date): Promise<TransportKey[]>;
  /** Throws SignetError('already_exists') when the thumbprint is taken. */
  insert(k: TransportKey): Promise<void>;
  /** Marks every active key but `exceptThumbprint` retired, to stop decrypting at `retireAt`. */
  retireAllExcept(exceptThumbprint: string, retireAt: Date): Promise<void>;
}

export interface Storage {
  tenants: TenantRepository;
  clients: ClientRepository;
  users: UserRepository;
  sessions: SessionRepository;
  signingKeys: SigningKeyRepository;
  transportKeys: TransportKeyRepository;
  audit: AuditRepository;
  close(): Promise<void>;
}

/**
 * Short-lived shared state: Redis in production, in-process on the embedded default. Every
 * method is atomic on its own (single Redis commands or Lua), so callers never read-then-write.
 */
export interface KeyValueStore {
  /** False for the in-process store: state is not shared between instances. */
  readonly shared: boolean;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** SET NX: true when the key did not exist and is now set. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** GETDEL: the value, removed in the same step (one-time codes and tokens). */
  getDel(key: string): Promise<string | null>;
  /** INCR; the TTL is set when the increment creates the key. */
  incr(key: string, ttlSeconds: number): Promise<number>;
  del(...keys: string[]): Promise<void>;
  close(): Promise<void>;
}

// ---- atomic scripts: multi-step updates that must not interleave (lockout, codes)

/** What Lua returns through ioredis: integers, strings, nil (null) and arrays of those. */
export type ScriptResult = string | number | null | ScriptResult[];

/**
 * The keyspace as a script's in-process twin sees it. Keys are the caller's keys (the store adds
 * its prefix). Everything is synchronous, which is what makes the twin atomic.
 */
export interface ScriptKeyspace {
  get(key: string): string | null;
  /** Like SET: without ttlSeconds the key does not expire (and loses any TTL it had). */
  set(key: string, value: string, ttlSeconds?: number): void;
  /** True when the key existed. */
  del(key: string): boolean;
  /** Like INCRBY: a missing key counts as 0 and is created without TTL; throws on a non-integer. */
  incrBy(key: string, by: number): number;
  /** Like TTL: seconds left (rounded to the nearest), -1 without expiry, -2 when missing. */
  ttl(key: string): number;
  /** Like EXPIRE: true when the key exists and now expires in ttlSeconds. */
  expire(key: string, ttlSeconds: number): boolean;
}

/** One atomic operation, written twice: Lua for Redis and JavaScript for the in-process store. */
export interface ScriptDefinition<R extends ScriptResult = ScriptResult> {
  /** Unique per store; used in error messages. */
  name: string;
  /**
   * How many leading arguments are keys. They reach Lua as KEYS[1..numKeys], prefixed. On Redis
   * Cluster they must share a hash slot: put a hash tag in them, e.g. `lock:{user-id}:a`.
   */
  numKeys: number;
  /** Runs in Redis (EVALSHA, then EVAL when the script cache was flushed). ARGV are strings. */
  lua: string;
  /**
   * The same logic in JavaScript; it must return what the Lua returns through ioredis (Lua
   * numbers become integers, false becomes null, true becomes 1). Never await in it.
   */
  memory(kv: ScriptKeyspace, keys: string[], args: string[]): R;
}

/** Runs a defined script: `keys.length` must equal the definition's numKeys. */
export type AtomicScript<R extends ScriptResult = ScriptResult> = (
  keys: string[],
  args?: (string | number)[],
) => Promise<R>;

export interface AtomicScripts {
  defineScript<R extends ScriptResult>(def: ScriptDefinition<R>): AtomicScript<R>;
  /**
   * Runs a script whose answer nobody waits for, and lets the store hold it back for up to
   * `maxDelayMs` so that it leaves with the store's next command rather than in a socket write
   * of its own. Only for updates whose delay errs on the safe side (giving back a lockout place).
   * Failures are logged, not thrown; close() sends what is held back.
   */
  runSoon(script: AtomicScript, keys: string[], args: (string | number)[], maxDelayMs: number): void;
}

/** A KeyValueStore that can also run atomic scripts. Both backends are one. */
export type ScriptableKeyValueStore = KeyValueStore & AtomicScripts;

