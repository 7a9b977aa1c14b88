// Creating accounts: SignUp (POST /auth/v1/signup), SignInAnonymously (POST
// /auth/v1/signin/anonymously), and the sign-up form's questions CheckUsername / CheckIfUserExist.
// signUp reads top to bottom as its steps. Everything that can be refused cheaply is refused
// before anything costly or lasting happens: the rate limits' verdict is awaited before any
// password is hashed or row written, and the verification token (single use) is spent only
// once everything else about the request is known to be acceptable.
import { randomUUID } from 'node:crypto';
import { blankUser } from './blank-user.js';
import { SignetError, invalidArgument } from '../errors.js';
import type { Deps } from '../deps.js';
import type { ClientCall, ClientCredentials } from '../commands.js';
import type { LoginField, Tenant, User, UserType } from '../model.js';
import type { AuditEventInput } from '../ports.js';
import type { IssuedTokens } from '../tokens/mint.js';
import { authenticateClient, grantScope, requireUserScope, type ClientContext } from './clients.js';
import { admitted, beginChecks } from '../defence/request-checks.js';
import { consumeCaptchaToken } from '../defence/captcha.js';
import { consumeVerificationToken } from '../defence/codes.js';
import { identifyClient } from '../defence/endpoints.js';
import { effectivePolicy, SIGN_UP_METHODS } from '../defence/policy.js';
import { authenticateBearer, requireOwnToken } from '../sessions/bearer.js';
import { markRevoked } from '../sessions/revocation.js';
import { startSession } from '../sessions/start.js';
import { AMR, codeAmr } from '../sessions/amr.js';
import { checkUsable, readChannel, readUserType } from '../signin/rules.js';
import { EMAIL, normalizeEmail, normalizePhone, readIdentifier } from './identity.js';
import { enforcePasswordPolicy } from './password-policy.js';
import { readFullProfile, readUsername, type Profile } from './profile.js';

/** The code usage a sign-up's verification token must carry (SIGN_UP / REGISTER when sent). */
export const SIGN_UP_USAGE = 'sign_up';

/** The captcha flow of sign-up when the tenant asks for a captcha on every request. */
export const SIGN_UP_CAPTCHA_STATES = ['POST:/v1/signup'];

export interface SignUpProfile {
  name: string;
  gender: string;
  picture: string;
  locale: string;
}

export interface SignUpCommand {
  client: ClientCredentials;
  ip: string;
  deviceId: string;
  username: string;
  email: string;
  phoneNumber: string;
  password: string;
  verificationToken: string;
  profile: SignUpProfile;
  /** The access token of the anonymous user to upgrade in place; '' for a new user. */
  anonymousToken: string;
  captchaToken: string;
  userType: string;
  sourceType: string;
}

/** A sign-up request read and checked: what the new account will be. */
interface SignUpForm {
  method: LoginField;
  userType: UserType;
  username: string | null;
  /** The e-mail or phone the verification token must prove (method email / phone). */
  contact: { field: 'email' | 'phone'; value: string } | null;
  password: string;
  profile: Profile;
  channel: string;
}

export async function signUp(deps: Deps, cmd: SignUpCommand): Promise<IssuedTokens> {
  const checks = beginChecks(deps, cmd.ip, cmd.client.clientId);
  return admitted(checks, async () => {
    const cc = await authenticateClient(deps.directory, cmd.client, true, checks);
    const form = readSignUpForm(cmd);
    requireSignUpOpen(cc, form.method);
    requireUserScope(cc);
    const scope = grantScope(cc.client, '');
    // Nothing below runs for a request over its limits: a burst costs no hash and no row.
    await checks.limits();
    enforcePasswordPolicyOf(cc.tenant, form);
    const anonymous = await anonymousUserOf(deps, cc, cmd.anonymousToken, form.userType);
    await requireUsernameFree(deps, cc.tenant, form);
    await requireCaptcha(deps, cc.tenant, cmd.captchaToken);
    await proveContact(deps, cc.tenant, form, cmd.verificationToken);
    const passwordHash = form.password ? await deps.hasher.hash(form.password) : null;
    const user = anonymous
      ? await upgradeAnonymous(deps, anonymous.user, form, passwordHash)
      : await createUser(deps, cc.tenant, form, passwordHash);
    const audit: AuditEventInput = {
      tenantId: cc.tenant.id,
      userId: user.id,
      clientId: cc.client.id,
      deviceId: cmd.deviceId,
      ip: cmd.ip,
      event: '',
    };
    if (anonymous) {
      deps.audit.record({ ...audit, event: 'anonymous_upgraded', reason: form.method });
      await endAnonymousSession(deps, anonymous.sessionId);
    }
    deps.audit.record({ ...audit, event: 'sign_up', reason: form.method });
    return startSession(deps, {
      tenant: cc.tenant,
      client: cc.client,
      user,
      scope,
      deviceId: cmd.deviceId,
      channel: form.channel,
      amr: signUpAmr(form),
    });
  });
}

/** How the new user authenticated: the password they chose, and the code that proved their contact. */
function signUpAmr(form: SignUpForm): string[] {
  const amr: string[] = [];
  if (form.password) amr.push(AMR.password);
  if (form.contact) amr.push(codeAmr(form.contact.field));
  return amr;
}

// ---- the steps of signUp

function readSignUpForm(cmd: SignUpCommand): SignUpForm {
  const userType = readUserType(cmd.userType);
  const channel = readChannel(cmd.sourceType, cmd.deviceId);
  const email = cmd.email.trim();
  const phone = cmd.phoneNumber.trim();
  if (email && phone) throw invalidArgument('email', 'give email or phone_number, not both: a verification token proves one');
  const username = cmd.username.trim() ? readUsername(cmd.username) : null;
  let contact: SignUpForm['contact'] = null;
  if (email) {
    if (email.length > 254 || !EMAIL.test(email))
      throw invalidArgument('email', 'not a valid e-mail address', 'invalid_argument.email_format');
    contact = { field: 'email', value: normalizeEmail(email) };
  } else if (phone) {
    contact = { field: 'phone', value: normalizePhone(phone) };
  }
  if (!contact && !username) throw invalidArgument('username', 'one of username, email or phone_number is required');
  // An e-mail address or phone is taken only proven: an unproven one would squat the owner's.
  if (contact && !cmd.verificationToken) {
    throw invalidArgument(
      'verification_token',
      `a verification token for the ${contact.field === 'phone' ? 'phone number' : 'e-mail address'} is required`,
    );
  }
  if (!contact && cmd.verificationToken)
    throw invalidArgument('email', 'the email or phone_number the verification token was sent to is required');
  // Without a proven contact the password is the only way back in.
  if (!contact && !cmd.password) throw invalidArgument('password', 'a password is required to sign up with a username');
  return {
    method: contact ? contact.field : 'username',
    userType,
    username,
    contact,
    password: cmd.password,
    profile: readFullProfile(cmd.profile),
    channel,
  };
}

/** Open iff the tenant opened sign-up, the client did not close it, and the tenant takes this method. */
function requireSignUpOpen(cc: ClientContext, method: LoginField): void {
  const detail = signUpClosed(cc, method);
  if (detail) throw new SignetError('permission_denied', detail, { message: 'permission_denied.sign_up_closed', metadata: { method } });
}

/** Why sign-up by `method` is closed on this client ('' when open). */
function signUpClosed(cc: ClientContext, method: LoginField): string {
  const p = cc.tenant.policy;
  if (p.signUpEnabled !== true) return 'sign_up_closed_tenant';
  if (!cc.client.signUpEnabled) return 'sign_up_closed_client';
  if (!(p.signUpMethods ?? SIGN_UP_METHODS).includes(method)) return `sign_up_method_${method}`;
  return '';
}

/** Before any hashing, and before the verification token is spent (a weak password must not burn it). */
function enforcePasswordPolicyOf(tenant: Tenant, form: SignUpForm): void {
  if (!form.password) return;
  enforcePasswordPolicy(tenant.policy, form.password, {
    username: form.username,
    email: form.contact?.field === 'email' ? form.contact.value : null,
  });
}

/** The anonymous user behind `token` (its own, live, of this tenant and user type), or null without a token. */
async function anonymousUserOf(
  deps: Deps,
  cc: ClientContext,
  token: string,
  userType: UserType,
): Promise<{ user: User; sessionId: string } | null> {
  if (!token) return null;
  const claims = await authenticateBearer(deps, token);
  requireOwnToken(claims);
  const user = claims.sid ? await deps.storage.users.get(claims.sub) : null;
  if (!user || !claims.sid) throw new SignetError('unauthenticated', 'anonymous_token_not_user');
  if (!user.anonymous)
    throw new SignetError('invalid_argument', 'not_anonymous', {
      fieldViolations: [{ field: 'anonymous_token', description: 'not the token of an anonymous user' }],
    });
  if (user.tenantId !== cc.tenant.id) throw new SignetError('permission_denied', 'anonymous_other_tenant');
  if (user.userType !== userType) throw invalidArgument('user_type', "must be the anonymous user's");
  try {
    checkUsable(user, deps.now());
  } catch (err) {
    throw new SignetError('unauthenticated', 'anonymous_unusable', {}, err);
  }
  return { user, sessionId: claims.sid };
}

/**
 * A username is public by nature (it is how people sign in and are shown), so saying it is
 * taken tells nothing secret; saying so before the verification token is spent saves the person
 * a new code. The unique index still decides a race (createUser).
 */
async function requireUsernameFree(deps: Deps, tenant: Tenant, form: SignUpForm): Promise<void> {
  if (!form.username) return;
  if (await deps.storage.users.findByLogin(tenant.id, form.userType, 'username', form.username)) throw usernameTaken();
}

const usernameTaken = () =>
  new SignetError('already_exists', 'username_taken', { fieldViolations: [{ field: 'username', description: 'already taken' }] });

async function requireCaptcha(deps: Deps, tenant: Tenant, captchaToken: string): Promise<void> {
  if (!effectivePolicy(tenant.policy).alwaysCaptcha) return;
  if (!captchaToken) throw new SignetError('captcha_required', 'captcha_missing');
  if (!(await consumeCaptchaToken(deps, captchaToken, SIGN_UP_CAPTCHA_STATES)))
    throw new SignetError('captcha_invalid', 'captcha_token_invalid');
}

/**
 * The verification token (a code sent with usage sign_up) proves control of the e-mail or phone
 * given. It is checked before anything tells whether that address is taken, so already_exists
 * is only ever said to whoever controls the address: no oracle for strangers.
 */
async function proveContact(deps: Deps, tenant: Tenant, form: SignUpForm, token: string): Promise<void> {
  if (!form.contact) return;
  const proof = await consumeVerificationToken(deps, token, { tenantId: tenant.id, usage: SIGN_UP_USAGE });
  const channel = form.contact.field === 'phone' ? 'sms' : 'email';
  if (!proof) throw new SignetError('invalid_grant', 'verification_token_unknown');
  if (proof.channel !== channel || proof.destination !== form.contact.value)
    throw new SignetError('invalid_grant', 'verification_destination_mismatch');
  if (proof.userType !== form.userType) throw new SignetError('invalid_grant', 'user_type_mismatch');
}

function identity(form: SignUpForm, passwordHash: string | null) {
  const email = form.contact?.field === 'email' ? form.contact.value : null;
  const phoneNumber = form.contact?.field === 'phone' ? form.contact.value : null;
  return {
    username: form.username,
    email,
    emailVerified: email !== null,
    phoneNumber,
    phoneVerified: phoneNumber !== null,
    passwordHash,
    ...form.profile,
  };
}

/** Storage throws already_exists on the unique index: the name or address was taken meanwhile. */
async function createUser(deps: Deps, tenant: Tenant, form: SignUpForm, passwordHash: string | null): Promise<User> {
  return deps.storage.users.create({
    id: randomUUID(),
    tenantId: tenant.id,
    userType: form.userType,
    ...identity(form, passwordHash),
    anonymous: false,
    status: 'active',
    expiresAt: null,
    groups: [],
  });
}

/** The same user (same `sub`), now a full one: identifiers, password and profile set, never expiring. */
async function upgradeAnonymous(deps: Deps, user: User, form: SignUpForm, passwordHash: string | null): Promise<User> {
  const updated = await deps.storage.users.update(user.id, { ...identity(form, passwordHash), anonymous: false, expiresAt: null });
  if (!updated) throw new SignetError('unauthenticated', 'anonymous_user_gone');
  return updated;
}

/**
 * The anonymous session ends: its token was the credential of the upgrade, and the upgraded
 * user continues in the session sign-up starts (one session, not two, for one person).
 */
async function endAnonymousSession(deps: Deps, sessionId: string): Promise<void> {
  if (await deps.storage.sessions.revoke(sessionId, 'anonymous_upgraded')) await markRevoked(deps, [sessionId]);
}

// ---- anonymous users

export interface AnonymousSignInCommand {
  client: ClientCredentials;
  ip: string;
  deviceId: string;
}

/** A new anonymous user, signed in; it expires (and is purged) unless sign-up upgrades it. */
export async function signInAnonymously(deps: Deps, cmd: AnonymousSignInCommand): Promise<IssuedTokens> {
  const checks = beginChecks(deps, cmd.ip, cmd.client.clientId);
  return admitted(checks, async () => {
    const cc = await authenticateClient(deps.directory, cmd.client, true, checks);
    requireAnonymousOpen(cc);
    requireUserScope(cc);
    const scope = grantScope(cc.client, '');
    await checks.limits();
    const user = await createAnonymousUser(deps, cc.tenant);
    deps.audit.record({
      event: 'sign_in',
      tenantId: cc.tenant.id,
      userId: user.id,
      clientId: cc.client.id,
      deviceId: cmd.deviceId,
      ip: cmd.ip,
      reason: 'anonymous',
    });
    // Nothing was proved: no amr (the id_token leaves the claim out).
    return startSession(deps, { tenant: cc.tenant, client: cc.client, user, scope, deviceId: cmd.deviceId, channel: '', amr: [] });
  });
}

function requireAnonymousOpen(cc: ClientContext): void {
  if (cc.tenant.policy.anonymousSignIn !== true || !cc.client.signUpEnabled) {
    const detail = cc.tenant.policy.anonymousSignIn !== true ? 'anonymous_closed_tenant' : 'anonymous_closed_client';
    throw new SignetError('permission_denied', detail, { message: 'permission_denied.sign_up_closed' });
  }
}

function createAnonymousUser(deps: Deps, tenant: Tenant): Promise<User> {
  return deps.storage.users.create({
    ...blankUser(tenant.id),
    anonymous: true,
    expiresAt: new Date(deps.clock.now() + deps.settings.anonymousTtlSeconds * 1000),
  });
}

/** One batch of the purge of expired anonymous users; the periodic job calls it until it returns less than a batch. */
export const PURGE_BATCH = 1000;

/** Deletes anonymous users past their expiry (their sessions go with them); returns how many. */
export async function purgeExpiredAnonymous(deps: Deps): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await deps.storage.users.purgeExpiredAnonymous(deps.now(), PURGE_BATCH);
    total += n;
    if (n < PURGE_BATCH) return total;
  }
}

// ---- the sign-up form's questions

export interface CheckUsernameCommand extends ClientCall {
  username: string;
  userType: string;
}

/** invalid_argument when the username could not be chosen, already_exists when taken; else nothing. */
export async function checkUsername(deps: Deps, cmd: CheckUsernameCommand): Promise<void> {
  const cc = await identifyClient(deps, cmd);
  const userType = readUserType(cmd.userType);
  const username = readUsername(cmd.username);
  // A tenant that hides which accounts exist answers only where sign-up by username is open on
  // this client: there the sign-up itself would say the name is taken, so this says no more.
  if (cc.tenant.policy.hideUnknownUsers && signUpClosed(cc, 'username'))
    throw new SignetError('permission_denied', 'existence_hidden', { message: 'permission_denied.existence_hidden' });
  // A username is public by nature: saying it is taken is what this call is for.
  if (await deps.storage.users.findByLogin(cc.tenant.id, userType, 'username', username)) throw usernameTaken();
}

export interface CheckIfUserExistCommand extends ClientCall {
  username: string;
  userType: string;
}

/**
 * Whether an account has this username, e-mail or phone. A tenant that hides which accounts
 * exist refuses to answer: any answer would be either a lie or an oracle.
 */
export async function checkIfUserExist(deps: Deps, cmd: CheckIfUserExistCommand): Promise<boolean> {
  const cc = await identifyClient(deps, cmd);
  if (cc.tenant.policy.hideUnknownUsers) {
    throw new SignetError('permission_denied', 'existence_hidden', { message: 'permission_denied.existence_hidden' });
  }
  const userType = readUserType(cmd.userType);
  const raw = cmd.username.trim();
  if (!raw) throw invalidArgument('username', 'username is required');
  // Read as sign-in reads it: an e-mail address, a phone number, else a username.
  const id = readIdentifier({ username: raw });
  return (await deps.storage.users.findByLogin(cc.tenant.id, userType, id.field, id.value)) !== null;
}
