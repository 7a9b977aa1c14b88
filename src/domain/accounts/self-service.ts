// What a signed-in user does with their own account: set or change the password, bind a contact,
// edit the profile, look other users of the tenant up, delete the account. Each call is a short
// pipeline: the caller (access token, rate limits), the proof it needs (sudo token, old
// password, code), the change, the sessions it ends, the audit.
import { SignetError, invalidArgument } from '../errors.js';
import type { Deps } from '../deps.js';
import type { User } from '../model.js';
import type { UserPatch } from '../ports.js';
import { normalizeEmail, normalizePhone, normalizeUsername } from './identity.js';
import { enforcePasswordPolicy } from './password-policy.js';
import { consumeVerificationToken } from '../defence/codes.js';
import { readDestination } from '../defence/endpoints.js';
import { decryptPasswordText } from '../signin/encrypted-password.js';
import { markRevoked } from '../sessions/revocation.js';
import { spendSudoToken } from './sudo.js';
import { clearLocks, provePasswordAgain, setNewPassword, signedInCaller, type Caller } from './reauth.js';
import { readProfile, readUsername, type ProfileInput } from './profile.js';
import { PASSWORD_CAPTCHA_STATES } from '../signin/password.js';

/** The captcha flows whose tokens a basic/edit password change accepts. */
const BASIC_EDIT_CAPTCHA_STATES = [...PASSWORD_CAPTCHA_STATES, 'POST:/v1/user/basic/edit'];

/** What every call of a signed-in user carries. */
export interface SelfCall {
  accessToken: string;
  ip: string;
}

// ---- password

export interface SetPasswordCommand extends SelfCall {
  sudoToken: string;
  newPassword: string;
}

/**
 * A new password with a sudo token. Every other session of the user ends; the caller's own
 * survives (it just proved itself with the sudo token, and the SDK's updatePasswordByOld expects
 * to stay signed in).
 */
export async function setPassword(deps: Deps, cmd: SetPasswordCommand): Promise<void> {
  const c = await signedInCaller(deps, cmd.accessToken, cmd.ip);
  if (!cmd.newPassword) throw invalidArgument('new_password', 'new_password is required');
  // A weak password does not spend the sudo token.
  enforcePasswordPolicy(c.tenant.policy, cmd.newPassword, ownerOf(c.user), 'new_password');
  await spendSudoToken(deps, cmd.sudoToken, c.claims);
  await setNewPassword(deps, passwordChange(c, cmd.newPassword, cmd.ip, 'sudo'));
}

const ownerOf = (u: User) => ({ username: u.username, email: u.email });

const passwordChange = (c: Caller, newPassword: string, ip: string, how: string) => ({
  tenant: c.tenant,
  user: c.user,
  newPassword,
  field: 'new_password',
  keepSessionId: c.claims.sid,
  event: 'password_changed' as const,
  ip,
  clientId: c.client.id,
  how,
});

// ---- profile

export interface UpdateProfileCommand extends SelfCall, ProfileInput {}

export async function updateProfile(deps: Deps, cmd: UpdateProfileCommand): Promise<User> {
  const c = await signedInCaller(deps, cmd.accessToken, cmd.ip);
  const patch = readProfile(cmd);
  return applyProfile(deps, c, patch, cmd.ip);
}

async function applyProfile(deps: Deps, c: Caller, patch: UserPatch, ip: string): Promise<User> {
  if (Object.keys(patch).length === 0) return c.user;
  const user = await deps.storage.users.update(c.user.id, patch);
  if (!user) throw new SignetError('unauthenticated', 'user_unknown');
  deps.audit.record({
    event: 'profile_updated',
    tenantId: user.tenantId,
    userId: user.id,
    clientId: c.client.id,
    ip,
    reason: Object.keys(patch).join(','),
  });
  return user;
}

export interface EditBasicInfoCommand extends SelfCall {
  userId: string;
  nickname: string;
  username: string;
  avatarUrl: string;
  gender: string;
  password: string;
  newPassword: string;
  email: string;
  phone: string;
  encryptPassword: string;
  encryptNewPassword: string;
  thumbprint: string;
  captchaToken: string;
}

/**
 * CloudBase's user/basic/edit: profile fields, and a password change with the old password
 * (plain, or RSA ciphertexts under the transport key). Contacts are changed with EditContact only
 * (a code must prove the new one).
 */
export async function editBasicInfo(deps: Deps, cmd: EditBasicInfoCommand): Promise<void> {
  const c = await signedInCaller(deps, cmd.accessToken, cmd.ip);
  if (cmd.userId && cmd.userId !== c.user.id) throw new SignetError('permission_denied', 'user_id_not_caller');
  if (cmd.email || cmd.phone)
    throw invalidArgument(cmd.email ? 'email' : 'phone', 'contacts change with PATCH /auth/v1/user/contact (a code proves the new one)');
  const patch = readProfile(
    { name: cmd.nickname || undefined, picture: cmd.avatarUrl || undefined, gender: cmd.gender || undefined },
    { name: 'nickname', picture: 'avatar_url' },
  );
  if (cmd.username) patch.username = readUsername(cmd.username);
  const newPassword =
    cmd.newPassword || (cmd.encryptNewPassword && (await decrypt(deps, c, cmd.encryptNewPassword, cmd.thumbprint, 'encrypt_new_password')));
  if (newPassword) {
    const old = cmd.password || (cmd.encryptPassword && (await decrypt(deps, c, cmd.encryptPassword, cmd.thumbprint, 'encrypt_password')));
    if (!old) throw invalidArgument('password', 'the old password is required to set a new one');
    enforcePasswordPolicy(c.tenant.policy, newPassword, ownerOf(c.user), 'new_password');
    await provePasswordAgain(deps, c, old, cmd.ip, { token: cmd.captchaToken }, BASIC_EDIT_CAPTCHA_STATES);
    await setNewPassword(deps, passwordChange(c, newPassword, cmd.ip, 'old_password'));
  }
  await applyProfile(deps, c, patch, cmd.ip);
}

const decrypt = (deps: Deps, c: Caller, text: string, thumbprint: string, field: string) =>
  decryptPasswordText(deps, c.client, text, thumbprint, field);

// ---- contact

export interface EditContactCommand extends SelfCall {
  phoneNumber: string;
  email: string;
  sudoToken: string;
  verificationToken: string;
  conflictResolution: string;
}

/**
 * Binds or changes the phone or e-mail: a sudo token proves the caller, a code (usage
 * CHANGE_CONTACT) the new address. An address another account holds is refused (CloudBase's
 * transfers are not supported). Binding a contact upgrades an anonymous user to a real one.
 */
export async function editContact(deps: Deps, cmd: EditContactCommand): Promise<User> {
  const c = await signedInCaller(deps, cmd.accessToken, cmd.ip);
  const resolution = cmd.conflictResolution.trim().toUpperCase();
  if (resolution !== '' && resolution !== 'DEFAULT') throw invalidArgument('conflict_resolution', 'not supported: only DEFAULT');
  const to = readDestination(cmd.phoneNumber, cmd.email);
  if (!cmd.verificationToken) throw invalidArgument('verification_token', 'verification_token is required');
  // The code first: a typo in it must not cost the user a new sudo (both are single-use).
  const proof = await consumeVerificationToken(deps, cmd.verificationToken, { tenantId: c.tenant.id, usage: 'change_contact' });
  if (!proof || proof.channel !== to.channel || proof.destination !== to.destination || proof.userType !== c.user.userType)
    throw new SignetError('invalid_grant', 'verification_token_unknown');
  // An anonymous user has nothing to re-authenticate with (no password, no contact): its access
  // token is its only credential, and binding a first contact is how it becomes a full user.
  if (!isBare(c.user)) await spendSudoToken(deps, cmd.sudoToken, c.claims);
  const field = to.channel === 'sms' ? 'phone' : 'email';
  const holder = await deps.storage.users.findByLogin(c.tenant.id, c.user.userType, field, to.destination);
  if (holder && holder.id !== c.user.id)
    throw new SignetError('already_exists', 'contact_taken', { message: 'already_exists.contact_taken' });
  const patch: UserPatch =
    field === 'phone' ? { phoneNumber: to.destination, phoneVerified: true } : { email: to.destination, emailVerified: true };
  const upgrade = c.user.anonymous;
  if (upgrade) Object.assign(patch, { anonymous: false, expiresAt: null });
  const user = await deps.storage.users.update(c.user.id, patch);
  if (!user) throw new SignetError('unauthenticated', 'user_unknown');
  const audit = { tenantId: user.tenantId, userId: user.id, clientId: c.client.id, ip: cmd.ip };
  if (upgrade) deps.audit.record({ ...audit, event: 'anonymous_upgraded', reason: field });
  deps.audit.record({ ...audit, event: 'contact_changed', reason: field });
  return user;
}

/** An anonymous user that has not yet got any credential of its own. */
const isBare = (u: User) => u.anonymous && !u.passwordHash && !u.email && !u.phoneNumber;

// ---- query

export interface QueryUsersCommand extends SelfCall {
  ids: string[];
  username: string;
  email: string;
  phoneNumber: string;
}

export const MAX_QUERY_IDS = 20;

/**
 * Users of the caller's own tenant and user type, by id and / or identifier; an unknown one is
 * simply absent. Where the tenant hides which accounts exist, an e-mail or phone finds only the
 * caller (so the lookup is no oracle for addresses).
 */
export async function queryUsers(deps: Deps, cmd: QueryUsersCommand): Promise<{ caller: User; users: User[] }> {
  const c = await signedInCaller(deps, cmd.accessToken, cmd.ip);
  // Repeated, or comma-joined in one value (what the CloudBase SDK's query string makes of an array).
  const ids = [...new Set(cmd.ids.flatMap((v) => v.split(',')).map((v) => v.trim()))].filter(Boolean);
  if (ids.length > MAX_QUERY_IDS) throw invalidArgument('id', `at most ${MAX_QUERY_IDS} ids`);
  const found = new Map<string, User>();
  const add = (u: User | null) => {
    if (u && u.tenantId === c.tenant.id && u.userType === c.user.userType) found.set(u.id, u);
  };
  for (const id of ids) add(await deps.storage.users.get(id));
  const find = (field: 'username' | 'email' | 'phone', value: string) =>
    deps.storage.users.findByLogin(c.tenant.id, c.user.userType, field, value);
  if (cmd.username.trim()) add(await find('username', normalizeUsername(cmd.username)));
  const hidden = c.tenant.policy.hideUnknownUsers === true;
  const byAddress = (u: User | null) => add(hidden && u?.id !== c.user.id ? null : u);
  if (cmd.email.trim()) byAddress(await find('email', normalizeEmail(cmd.email)));
  if (cmd.phoneNumber.trim()) byAddress(await find('phone', normalizePhone(cmd.phoneNumber)));
  return { caller: c.user, users: [...found.values()] };
}

// ---- deletion

export interface DeleteMeCommand extends SelfCall {
  sudoToken: string;
}

/**
 * Deletes the caller's account with a sudo token: its sessions end first (and their access
 * tokens at once), then the user (the sessions cascade); the identifiers are free again. The
 * audit trail keeps the user's events. Returns the account as it was.
 */
export async function deleteMe(deps: Deps, cmd: DeleteMeCommand): Promise<User> {
  const c = await signedInCaller(deps, cmd.accessToken, cmd.ip);
  await spendSudoToken(deps, cmd.sudoToken, c.claims);
  await markRevoked(deps, await deps.storage.sessions.revokeAllForUser(c.user.id, 'account_deleted'));
  await deps.storage.users.delete(c.user.id);
  // A new account taking these identifiers must not inherit a lock or a failure count.
  await clearLocks(deps, c.user);
  deps.audit.record({ event: 'account_deleted', tenantId: c.user.tenantId, userId: c.user.id, clientId: c.client.id, ip: cmd.ip });
  return c.user;
}
