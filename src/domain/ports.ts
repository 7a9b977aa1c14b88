// The storage interfaces the domain owns. src/storage/* implements them (Prisma on PostgreSQL or
// PGlite; Redis or in-process for the key-value store); one contract suite tests every backend.
import type {
  Client, LoginField, Page, PageRequest, RefreshToken, Session, SigningKey, Tenant, User, UserType,
} from './model.js';

export type NewTenant = Omit<Tenant, 'createdAt' | 'updatedAt'>;
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
  Pick<Client, 'name' | 'status' | 'grantTypes' | 'scopes' | 'accessTokenTtl' | 'refreshTokenTtl' | 'maxSessions'>
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

export interface SessionRepository {
  /**
   * Starts a session with its first refresh token, serialised per user (several instances may
   * sign the same user in at once). In the same transaction it revokes the user's live session
   * on the same client and device (when deviceId is not empty), and then the oldest live sessions
   * of the user on that client until at most maxSessions remain, the new one included.
   * Returns the ids of the sessions it revoked.
   */
  start(session: NewSession, token: NewRefreshToken, maxSessions: number): Promise<string[]>;
  get(id: string): Promise<Session | null>;
  findRefreshToken(hash: string): Promise<{ token: RefreshToken; session: Session } | null>;
  /**
   * Atomically marks `oldHash` rotated (recording `successor`) and stores `next`, only if
   * `oldHash` has not been rotated yet. False when another request rotated it first.
   */
  rotate(oldHash: string, successor: string, next: NewRefreshToken): Promise<boolean>;
  /** True when the session was live and is now revoked. */
  revoke(id: string, reason: string): Promise<boolean>;
  /** Revokes every live session of the user; returns their ids. */
  revokeAllForUser(userId: string, reason: string): Promise<string[]>;
}

export interface SigningKeyRepository {
  /** Keys that are active or still published (retireAt in the future or null), oldest first. */
  listPublished(now: Date): Promise<SigningKey[]>;
  insert(k: SigningKey): Promise<void>;
  /** Marks every active key but `exceptKid` retired, to be unpublished at `retireAt`. */
  retireAllExcept(exceptKid: string, retireAt: Date): Promise<void>;
}

export interface Storage {
  tenants: TenantRepository;
  clients: ClientRepository;
  users: UserRepository;
  sessions: SessionRepository;
  signingKeys: SigningKeyRepository;
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
