// The storage interfaces the domain owns. src/storage/* implements them (Prisma on PostgreSQL or
// PGlite; Redis or in-process for the key-value store); one contract suite tests every backend.
import type {
  Client,
  Consent,
  LoginField,
  Page,
  PageRequest,
  RefreshToken,
  Session,
  SigningKey,
  Tenant,
  TicketKey,
  TransportKey,
  User,
  UserType,
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
    | 'name'
    | 'status'
    | 'grantTypes'
    | 'scopes'
    | 'accessTokenTtl'
    | 'refreshTokenTtl'
    | 'maxSessions'
    | 'passwordEncryption'
    | 'rejectReplayedPasswords'
    | 'signUpEnabled'
    | 'redirectUris'
    | 'firstParty'
    | 'customTicketSignUp'
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
    | 'status'
    | 'passwordHash'
    | 'groups'
    | 'name'
    | 'username'
    | 'email'
    | 'emailVerified'
    | 'phoneNumber'
    | 'phoneVerified'
    | 'expiresAt'
    | 'picture'
    | 'gender'
    | 'locale'
    | 'anonymous'
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
  /**
   * Replaces the hash only while it is still `expected`, so a concurrent password change wins.
   * True when it replaced it.
   */
  upgradePasswordHash(id: string, expected: string, next: string): Promise<boolean>;
  /** The user's password hash (null: none); undefined when there is no such user. One cheap read. */
  passwordHashOf(id: string): Promise<string | null | undefined>;
  /** Deletes the user and (cascading) its sessions and consents; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Deletes up to `limit` anonymous users whose expiresAt is before `before`; returns how many. */
  purgeExpiredAnonymous(before: Date, limit: number): Promise<number>;
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
   * `oldHash` has not been rotated yet. False when another request rotated it first. `at` is
   * recorded as the rotation time (the domain's clock, which is what the grace window is read
   * against); without it, the store's own time.
   */
  rotate(oldHash: string, successor: string, next: NewRefreshToken, at?: Date): Promise<boolean>;
  /** True when the session was live and is now revoked. */
  revoke(id: string, reason: string): Promise<boolean>;
  /** Revokes every live session of the user (but `exceptSessionId`, when given), in one statement; returns their ids. */
  revokeAllForUser(userId: string, reason: string, exceptSessionId?: string): Promise<string[]>;
  /** Revokes the user's live sessions on one device; returns their ids. */
  revokeDevice(userId: string, deviceId: string, reason: string): Promise<string[]>;
  /** Revokes the user's live sessions on one client (a withdrawn consent); returns their ids. */
  revokeClient(userId: string, clientId: string, reason: string): Promise<string[]>;
  /** The user's live sessions (unrevoked, unexpired at `now`), newest first. */
  listLive(userId: string, now: Date): Promise<Session[]>;
  /** Whether the user has ever had a session (live or not) on this device. */
  hasDevice(userId: string, deviceId: string): Promise<boolean>;
}

export type NewConsent = Pick<Consent, 'tenantId' | 'userId' | 'clientId' | 'scope'>;

/** Remembered consents, one per user and client. */
export interface ConsentRepository {
  find(userId: string, clientId: string): Promise<Consent | null>;
  /**
   * Remembers the scopes: a new consent, or the union with those granted before (first-granted
   * order kept, each once), in one atomic statement, so concurrent grants all land. Throws
   * SignetError('not_found') naming tenant_id, user_id or client_id when one does not exist.
   */
  grant(c: NewConsent): Promise<Consent>;
  /** The user's consents, by client id. */
  list(userId: string): Promise<Consent[]>;
  /** Forgets the consent; true when there was one. */
  revoke(userId: string, clientId: string): Promise<boolean>;
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
  /** Any of these events. */
  events?: string[];
  /** None of these events. */
  excludeEvents?: string[];
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

export type NewTicketKey = Omit<TicketKey, 'createdAt'>;

/** The keys of custom sign-in tickets, per client. */
export interface TicketKeyRepository {
  /**
   * Throws SignetError('already_exists') naming kid when the client has a key of that kid, and
   * SignetError('not_found') naming client_id when there is no such client.
   */
  add(k: NewTicketKey): Promise<TicketKey>;
  get(clientId: string, kid: string): Promise<TicketKey | null>;
  /** Oldest first. */
  list(clientId: string): Promise<TicketKey[]>;
  /** False when the client had no key of that kid. */
  remove(clientId: string, kid: string): Promise<boolean>;
}

/** An external account (provider and the provider's id of the user) linked to a Signet user. */
export interface ExternalIdentity {
  /** e.g. "custom:<client_id>" for the users a client's backend names in its tickets. */
  provider: string;
  subject: string;
}

/** Links from external user ids to users; deleting the user deletes its links. */
export interface IdentityRepository {
  /** The user linked to the identity, or null. */
  findUser(identity: ExternalIdentity): Promise<User | null>;
  /**
   * Creates the user and links the identity to it, both or neither. Throws
   * SignetError('already_exists') naming subject when the identity is linked already (another
   * request linked it first), or naming the login field taken, as users.create does.
   */
  createLinked(user: NewUser, identity: ExternalIdentity): Promise<User>;
}

export interface Storage {
  tenants: TenantRepository;
  clients: ClientRepository;
  users: UserRepository;
  sessions: SessionRepository;
  consents: ConsentRepository;
  signingKeys: SigningKeyRepository;
  transportKeys: TransportKeyRepository;
  ticketKeys: TicketKeyRepository;
  identities: IdentityRepository;
  audit: AuditRepository;
  close(): Promise<void>;
}

// ---- short-lived shared state, one port per purpose. Each step is atomic in the store (one
// command or one script), on one Redis node or Cluster alike, so no rule here is ever decided
// by a read followed by a write. Identifiers handed in are already what may be stored: digests
// of tokens, HMACs of destinations.

/** Whose password failures count: the user, or for an unknown user the identifier typed. */
export interface LockoutSubject {
  tenantId: string;
  key: string;
}

export type LockoutReservation =
  | { outcome: 'place'; failures: number; inFlight: number }
  | { outcome: 'locked'; seconds: number }
  /** Failures plus attempts in flight already use up the budget. */
  | { outcome: 'busy' };

export interface LockoutStore {
  /**
   * Unless the subject is locked, or failures + attempts in flight >= max, takes a place (one
   * attempt in flight, the count of which expires after pendingTtlSeconds when never given back).
   */
  reserve(s: LockoutSubject, max: number, pendingTtlSeconds: number): Promise<LockoutReservation>;
  /**
   * Gives the place back and counts a failure (the count expires windowSeconds after the first);
   * at max, locks for lockSeconds and starts the count again.
   */
  fail(s: LockoutSubject, max: number, lockSeconds: number, windowSeconds: number): Promise<{ failures: number; lockedFor: number }>;
  /** Gives the place back; with clearFailures the failure count too. */
  release(s: LockoutSubject, clearFailures: boolean): Promise<void>;
  /**
   * release(s, false) that the store may hold back up to maxDelayMs, to travel with its next
   * command. Never fails (failures are logged).
   */
  releaseSoon(s: LockoutSubject, maxDelayMs: number): void;
  failures(s: LockoutSubject): Promise<number>;
  /** Forgets failures, places and the lock. */
  reset(s: LockoutSubject): Promise<void>;
  /** Marks, under an identifier as typed, a lock ending at endMs (epoch ms), for ttlSeconds. */
  markIdentifierLock(tenantId: string, identifier: string, endMs: number, ttlSeconds: number): Promise<void>;
  /** The end (epoch ms) of the lock marked under the identifier; 0 when none. */
  identifierLockEnd(tenantId: string, identifier: string): Promise<number>;
  clearIdentifierLocks(tenantId: string, identifiers: string[]): Promise<void>;
}

export interface SendLimits {
  /** 0: no gap between sends. */
  resendSeconds: number;
  dailyLimit: number;
  /** The daily limit's window, from the first send. */
  windowSeconds: number;
  /** Sends in the window after which a solved captcha is needed. */
  captchaAfter: number;
  captchaSolved: boolean;
}

export type SendReservation =
  | { outcome: 'ok'; sends: number }
  | { outcome: 'gap' | 'day'; retryAfterSeconds: number }
  | { outcome: 'captcha'; sends: number };

/** A verification code as kept: its HMAC, and what a right code proves. */
export interface StoredCode {
  mac: string;
  tenantId: string;
  userType: UserType;
  channel: 'sms' | 'email';
  destination: string;
  /** Canonical usage (defence/codes.ts CODE_USAGES): what the token may be spent on. */
  usage: string;
  /** The signed-in user a CUR_USER code was sent for; '' when the code is nobody's in particular. */
  userId: string;
}

export type VerifiedCode = Omit<StoredCode, 'mac'>;

export type CodeCheck =
  | { outcome: 'ok'; code: StoredCode }
  | { outcome: 'wrong'; attemptsLeft: number }
  /** Unknown, expired, or burned by its last attempt. */
  | { outcome: 'gone' };

export interface CodeStore {
  /**
   * Checks the resend gap, the daily limit and the captcha threshold of a destination and, when
   * all pass, takes a send: the gap (holding `slot`) and one count of the window.
   */
  reserveSend(destination: string, slot: string, limits: SendLimits): Promise<SendReservation>;
  /** Gives back a send: the gap if it still holds `slot`, and one count. */
  releaseSend(destination: string, slot: string): Promise<void>;
  saveCode(id: string, code: StoredCode, ttlSeconds: number): Promise<void>;
  deleteCode(id: string): Promise<void>;
  /**
   * One attempt: counts it (the count lives ttlSeconds) and compares in the same step. Right
   * when the mac matches and tenant / destination do (an empty expectation matches any); a right
   * code, and the last allowed attempt, delete the code.
   */
  checkCode(
    id: string,
    attempt: { mac: string; tenantId: string; destination: string },
    maxAttempts: number,
    ttlSeconds: number,
  ): Promise<CodeCheck>;
  saveToken(tokenHash: string, verified: VerifiedCode, ttlSeconds: number): Promise<void>;
  /** One-time: the token's value, deleted in the same step. */
  takeToken(tokenHash: string): Promise<VerifiedCode | null>;
}

/** A captcha challenge as kept: the HMAC of its answer and the flow it unlocks. */
export interface StoredChallenge {
  answerMac: string;
  state: string;
}

export interface CaptchaStore {
  saveChallenge(idHash: string, challenge: StoredChallenge, ttlSeconds: number): Promise<void>;
  /** One-time: the challenge, deleted in the same step; null when unknown, expired or unreadable. */
  takeChallenge(idHash: string): Promise<StoredChallenge | null>;
  saveToken(tokenHash: string, state: string, ttlSeconds: number): Promise<void>;
  /** One-time: the token's state, deleted in the same step. */
  takeToken(tokenHash: string): Promise<string | null>;
  /** A challenge's picture, kept beside it for its life (read as often as a page reloads it). */
  saveImage(idHash: string, image: Buffer, ttlSeconds: number): Promise<void>;
  image(idHash: string): Promise<Buffer | null>;
}

export interface RevocationMarks {
  mark(sessionIds: string[], ttlSeconds: number): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
}

/** Ciphertexts seen, by digest. */
export interface ReplayMemory {
  /** Remembers each digest for ttlSeconds; for each, true when it was not remembered already. */
  rememberNew(digests: string[], ttlSeconds: number): Promise<boolean[]>;
  forget(digests: string[]): Promise<void>;
}

/**
 * Fixed-window counters (request rates, failed sign-ins per IP), named by kind, id and window
 * number. Each hit is one atomic increment.
 */
export interface RateCounters {
  /** Counts one more; the window's count after it. The count expires ttlSeconds after its first hit. */
  hit(kind: string, id: string, window: number, ttlSeconds: number): Promise<number>;
  /** The window's count so far (0 when none). */
  count(kind: string, id: string, window: number): Promise<number>;
}

/**
 * The device authorization grant's state (RFC 8628), by the digest of the device code: the
 * request (written once), the user's decision (the first one wins), and the polling pace.
 */
export interface DeviceGrantStore {
  /** Saves the request and the user code's pointer to it. */
  create(deviceDigest: string, userCodeDigest: string, request: string, ttlSeconds: number): Promise<void>;
  request(deviceDigest: string): Promise<string | null>;
  /** The device digest a user code names, or null. */
  deviceOf(userCodeDigest: string): Promise<string | null>;
  /** Records the decision unless one was made (true: this one counts); the user code is forgotten. */
  decide(deviceDigest: string, userCodeDigest: string, decision: string, ttlSeconds: number): Promise<boolean>;
  decision(deviceDigest: string): Promise<string | null>;
  /** Takes the decision and forgets the request (GETDEL: one caller gets it). */
  redeem(deviceDigest: string): Promise<string | null>;
  /**
   * One poll at nowMs: too soon after the previous one (less than its interval) is a slow_down,
   * and the interval grows by stepSeconds. Atomic. The interval the device must now keep.
   */
  poll(
    deviceDigest: string,
    nowMs: number,
    intervalSeconds: number,
    stepSeconds: number,
    ttlSeconds: number,
  ): Promise<{ slowDown: boolean; interval: number }>;
}

/**
 * Single-use tokens (sudo tokens, anonymous-upgrade proofs…) kept by digest with what they prove.
 * `kind` separates the purposes, so a token of one kind is unknown as another.
 */
export interface OneTimeTokens {
  save(kind: string, digest: string, value: string, ttlSeconds: number): Promise<void>;
  /** The value, deleted in the same step; null when unknown, spent or expired. */
  take(kind: string, digest: string): Promise<string | null>;
}

export interface SharedStores {
  counters: RateCounters;
  devices: DeviceGrantStore;
  lockout: LockoutStore;
  codes: CodeStore;
  captcha: CaptchaStore;
  revocations: RevocationMarks;
  replays: ReplayMemory;
  oneTime: OneTimeTokens;
}
