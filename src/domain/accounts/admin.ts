// Operator use cases behind AdminService. Validation lives here, not in the transport, so the
// CLI, REST and gRPC all get the same answers.
import { randomUUID } from 'node:crypto';
import { SignetError, invalidArgument } from '../errors.js';
import type { Deps } from '../deps.js';
import { MAX_TOKEN_TTL_SECONDS } from '../deps.js';
import type { Client, ClientType, Page, PageRequest, PasswordEncryption, Tenant, TenantPolicy, User, UserStatus } from '../model.js';
import { PASSWORD_ENCRYPTIONS } from '../model.js';
import type { ClientPatch, TenantPatch, UserPatch } from '../ports.js';
import { randomToken, sha256Hex } from '../crypto/secrets.js';
import { normalizeEmail, normalizePhone, normalizeUsername } from './identity.js';
import { readUserType } from '../signin/rules.js';
import { markRevoked } from '../sessions/revocation.js';
import { GRANTS } from '../tokens/token.js';
import { checkPolicy } from '../defence/policy.js';
import type { AuditEvent, AuditFilter } from '../ports.js';
import { enforcePasswordPolicy, type PasswordOwner } from './password-policy.js';
import { checkRedirectUris } from './redirect-uris.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const USERNAME = /^[\p{L}\p{N}._@+-]{1,64}$/u;
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const USER_STATUSES: UserStatus[] = ['active', 'pending', 'blocked'];

function checkId(field: string, v: string): string {
  if (!ID.test(v)) throw invalidArgument(field, 'letters, digits, ".", "_" or "-", at most 64, starting with a letter or digit');
  return v;
}

async function must<T>(p: Promise<T | null>, what: string): Promise<T> {
  const v = await p;
  if (!v) throw new SignetError('not_found', `${what}_unknown`, { metadata: { resource: what } });
  return v;
}

// ---- tenants

export async function createTenant(deps: Deps, id: string, name: string, policy: TenantPolicy): Promise<Tenant> {
  return deps.storage.tenants.create({ id: checkId('tenant_id', id), name: name || id, status: 'enabled', policy: checkPolicy(policy) });
}

export const getTenant = (deps: Deps, id: string) => must(deps.storage.tenants.get(id), 'tenant');
export const listTenants = (deps: Deps, page: PageRequest): Promise<Page<Tenant>> => deps.storage.tenants.list(page);

export async function updateTenant(deps: Deps, id: string, patch: TenantPatch): Promise<Tenant> {
  if (patch.status && patch.status !== 'enabled' && patch.status !== 'disabled') {
    throw invalidArgument('status', 'must be enabled or disabled');
  }
  if (patch.policy) patch = { ...patch, policy: checkPolicy(patch.policy, (await getTenant(deps, id)).policy) };
  const t = await must(deps.storage.tenants.update(id, patch), 'tenant');
  deps.directory.forgetTenant(id);
  return t;
}

// ---- clients

export interface ClientInput {
  id: string;
  tenantId: string;
  name: string;
  public: boolean;
  grantTypes: string[];
  scopes: string[];
  accessTokenTtl: number;
  refreshTokenTtl: number;
  maxSessions: number;
  /** "none" (default), "rsa" or "required". */
  passwordEncryption?: string;
  rejectReplayedPasswords?: boolean;
  /** Default true: sign-up is as open as the tenant says. */
  signUpEnabled?: boolean;
  /** A chosen secret (container bootstrap); normally generated. */
  secret?: string;
  /** For the authorization code grant (accounts/redirect-uris.ts). */
  redirectUris?: string[];
  /** Default true. */
  firstParty?: boolean;
  /** Default false: a custom sign-in ticket signs in only users already known. */
  customTicketSignUp?: boolean;
}

function checkPasswordEncryption(v: string): PasswordEncryption {
  if (!PASSWORD_ENCRYPTIONS.includes(v as PasswordEncryption)) {
    throw invalidArgument('password_encryption', `must be ${PASSWORD_ENCRYPTIONS.join(', ')}`);
  }
  return v as PasswordEncryption;
}

function checkClientShape(type: ClientType, grantTypes: string[], c: Partial<ClientInput>): void {
  if (grantTypes.includes('implicit')) throw invalidArgument('grant_types', 'implicit is an alias of the sms grant: allow sms');
  for (const g of grantTypes) if (!Object.hasOwn(GRANTS, g)) throw invalidArgument('grant_types', `unknown grant type ${g}`);
  for (const g of grantTypes) {
    if (type === 'public' && GRANTS[g].confidentialOnly) throw invalidArgument('grant_types', `a public client cannot use ${g}`);
  }
  if (c.accessTokenTtl !== undefined && (c.accessTokenTtl < 60 || c.accessTokenTtl > MAX_TOKEN_TTL_SECONDS)) {
    throw invalidArgument('access_token_ttl_seconds', `between 60 and ${MAX_TOKEN_TTL_SECONDS}`);
  }
  if (c.refreshTokenTtl !== undefined && (c.refreshTokenTtl < 3600 || c.refreshTokenTtl > 31536000)) {
    throw invalidArgument('refresh_token_ttl_seconds', 'between 3600 and 31536000');
  }
  if (c.maxSessions !== undefined && (c.maxSessions < 1 || c.maxSessions > 100)) {
    throw invalidArgument('max_sessions', 'between 1 and 100');
  }
}

/** Returns the client and, for a confidential one, its secret: shown once, only its hash is kept. */
export async function createClient(deps: Deps, input: ClientInput): Promise<{ client: Client; secret: string }> {
  const s = deps.settings;
  const type: ClientType = input.public ? 'public' : 'confidential';
  const grantTypes = input.grantTypes.length ? input.grantTypes : ['password', 'refresh_token'];
  const c = {
    accessTokenTtl: input.accessTokenTtl || s.accessTokenTtl,
    refreshTokenTtl: input.refreshTokenTtl || s.refreshTokenTtl,
    maxSessions: input.maxSessions || s.maxSessions,
  };
  checkClientShape(type, grantTypes, c);
  const passwordEncryption = checkPasswordEncryption(input.passwordEncryption || 'none');
  await must(deps.storage.tenants.get(input.tenantId), 'tenant');
  if (input.secret !== undefined && input.secret.length < 16) throw invalidArgument('client_secret', 'at least 16 characters');
  const secret = type === 'confidential' ? (input.secret ?? randomToken(32)) : '';
  const client = await deps.storage.clients.create({
    id: input.id ? checkId('client_id', input.id) : randomUUID().replace(/-/g, ''),
    tenantId: input.tenantId,
    name: input.name || input.id,
    type,
    secretHash: secret ? sha256Hex(secret) : null,
    grantTypes,
    scopes: input.scopes.length ? input.scopes : ['openid', 'user'],
    ...c,
    status: 'enabled',
    passwordEncryption,
    rejectReplayedPasswords: input.rejectReplayedPasswords ?? false,
    signUpEnabled: input.signUpEnabled ?? true,
    redirectUris: checkRedirectUris(input.redirectUris ?? []),
    firstParty: input.firstParty ?? true,
    customTicketSignUp: input.customTicketSignUp ?? false,
  });
  return { client, secret };
}

export const getClient = (deps: Deps, id: string) => must(deps.storage.clients.get(id), 'client');
export const listClients = (deps: Deps, page: PageRequest, tenantId?: string) => deps.storage.clients.list(page, { tenantId });

export async function updateClient(deps: Deps, id: string, patch: ClientPatch): Promise<Client> {
  const current = await getClient(deps, id);
  if (patch.status && patch.status !== 'enabled' && patch.status !== 'disabled') {
    throw invalidArgument('status', 'must be enabled or disabled');
  }
  checkClientShape(current.type, patch.grantTypes ?? current.grantTypes, patch);
  if (patch.passwordEncryption !== undefined) checkPasswordEncryption(patch.passwordEncryption);
  if (patch.redirectUris !== undefined) patch = { ...patch, redirectUris: checkRedirectUris(patch.redirectUris) };
  const c = await must(deps.storage.clients.update(id, patch), 'client');
  deps.directory.forgetClient(id);
  return c;
}

// ---- users

export interface UserInput {
  tenantId: string;
  userType: string;
  username: string;
  email: string;
  phoneNumber: string;
  name: string;
  password: string;
  passwordHash: string;
  status: string;
  groups: string[];
  expiresAt: Date | null;
  emailVerified: boolean;
  phoneVerified: boolean;
  /** Set the password even when it breaks the tenant's password policy (audited). */
  bypassPasswordPolicy?: boolean;
}

function checkStatus(status: string): UserStatus {
  if (!USER_STATUSES.includes(status as UserStatus)) throw invalidArgument('status', 'must be active, pending or blocked');
  return status as UserStatus;
}

function checkImportedHash(h: string): string {
  if (h.startsWith('$argon2id$') || /^\$2[aby]\$\d\d\$.{53}$/.test(h)) return h;
  throw invalidArgument('password_hash', 'must be an argon2id or bcrypt ($2a$/$2b$) hash');
}

export async function createUser(deps: Deps, u: UserInput): Promise<User> {
  if (!u.username && !u.email && !u.phoneNumber) throw invalidArgument('username', 'one of username, email or phone_number is required');
  if (u.username && !USERNAME.test(u.username)) throw invalidArgument('username', 'at most 64 letters, digits or ._@+-');
  if (u.email && !EMAIL.test(u.email.trim())) throw invalidArgument('email', 'not an e-mail address');
  if (u.password && u.passwordHash) throw invalidArgument('password_hash', 'give password or password_hash, not both');
  if (u.password && u.password.length > 1024) throw invalidArgument('password', 'at most 1024 characters');
  const tenant = await must(deps.storage.tenants.get(u.tenantId), 'tenant');
  const id = randomUUID();
  if (u.password) {
    const owner = { username: u.username ? normalizeUsername(u.username) : null, email: u.email ? normalizeEmail(u.email) : null };
    checkAdminPassword(deps, tenant, u.password, owner, id, u.bypassPasswordPolicy ?? false);
  }
  return deps.storage.users.create({
    id,
    tenantId: u.tenantId,
    userType: readUserType(u.userType),
    username: u.username ? normalizeUsername(u.username) : null,
    email: u.email ? normalizeEmail(u.email) : null,
    emailVerified: u.emailVerified,
    phoneNumber: u.phoneNumber ? normalizePhone(u.phoneNumber) : null,
    phoneVerified: u.phoneVerified,
    name: u.name || null,
    picture: null,
    gender: null,
    locale: null,
    anonymous: false,
    passwordHash: u.password ? await deps.hasher.hash(u.password) : u.passwordHash ? checkImportedHash(u.passwordHash) : null,
    status: checkStatus(u.status || 'active'),
    expiresAt: u.expiresAt,
    groups: u.groups,
  });
}

export const getUser = (deps: Deps, id: string) => must(deps.storage.users.get(id), 'user');
export const listUsers = (deps: Deps, page: PageRequest, tenantId?: string) => deps.storage.users.list(page, { tenantId });

export interface UserUpdate extends Omit<UserPatch, 'passwordHash'> {
  password?: string;
  /** Set the password even when it breaks the tenant's password policy (audited). */
  bypassPasswordPolicy?: boolean;
}

/**
 * The operator's password passes the tenant's policy, or the operator said explicitly to set it
 * anyway: then the override is audited (only when there was something to override).
 */
function checkAdminPassword(deps: Deps, tenant: Tenant, password: string, owner: PasswordOwner, userId: string, bypass: boolean): void {
  try {
    enforcePasswordPolicy(tenant.policy, password, owner);
  } catch (err) {
    if (!bypass || !(err instanceof SignetError)) throw err;
    deps.audit.record({ event: 'password_policy_bypassed', tenantId: tenant.id, userId, reason: 'admin', detail: err.detail });
  }
}

/** A new password or a block ends every session of the user. */
export async function updateUser(deps: Deps, id: string, update: UserUpdate): Promise<User> {
  const { password, bypassPasswordPolicy, ...rest } = update;
  const patch: UserPatch = { ...rest };
  if (patch.status) checkStatus(patch.status);
  if (patch.email && !EMAIL.test(patch.email.trim())) throw invalidArgument('email', 'not an e-mail address');
  if (patch.email) patch.email = normalizeEmail(patch.email);
  if (patch.phoneNumber) patch.phoneNumber = normalizePhone(patch.phoneNumber);
  if (password !== undefined) {
    if (!password) throw invalidArgument('password', 'must not be empty');
    if (password.length > 1024) throw invalidArgument('password', 'at most 1024 characters');
    const current = await getUser(deps, id);
    const tenant = await getTenant(deps, current.tenantId);
    const owner = { username: current.username, email: patch.email ?? current.email };
    checkAdminPassword(deps, tenant, password, owner, id, bypassPasswordPolicy ?? false);
    patch.passwordHash = await deps.hasher.hash(password);
  }
  const user = await must(deps.storage.users.update(id, patch), 'user');
  if (password !== undefined || (patch.status && patch.status !== 'active')) {
    await markRevoked(deps, await deps.storage.sessions.revokeAllForUser(id, password !== undefined ? 'password_changed' : 'user_status'));
  }
  return user;
}

/** Ends a lock from failed passwords and clears the count, under every identifier of the user. */
export async function unlockUser(deps: Deps, id: string): Promise<User> {
  const user = await getUser(deps, id);
  const ids = [
    user.username && `${user.userType}:username:${user.username}`,
    user.email && `${user.userType}:email:${user.email}`,
    user.phoneNumber && `${user.userType}:phone:${user.phoneNumber}`,
  ].filter((x): x is string => Boolean(x));
  await deps.lockout.reset({ tenantId: user.tenantId, key: `u:${user.id}` });
  await deps.lockout.forgetLocks(user.tenantId, ids);
  deps.audit.record({ event: 'unlock', tenantId: user.tenantId, userId: user.id, reason: 'admin' });
  return user;
}

export async function listAuditEvents(deps: Deps, filter: AuditFilter, page: PageRequest): Promise<Page<AuditEvent>> {
  // What was recorded a moment ago should be listed: write the buffer first.
  await deps.audit.flush();
  return deps.storage.audit.list(filter, page);
}
