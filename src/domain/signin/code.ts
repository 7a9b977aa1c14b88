// Sign-in with a verification code instead of a password: SignIn with a verification token
// (CloudBase) and the SMS grant (HZERO). Receiving the code proves control of the phone or
// mailbox; who the user is follows from that destination, never from what the request claims.
import { SignetError, isSignetError } from '../errors.js';
import type { Deps } from '../deps.js';
import type { LoginField, Tenant, User, UserType } from '../model.js';
import type { AuditEventInput } from '../ports.js';
import { grantScope, requireUserScope, type ClientContext } from '../accounts/clients.js';
import type { IdentifierInput } from '../commands.js';
import { readIdentifier, type Identifier } from '../accounts/identity.js';
import { checkUsable, readChannel, readUserType } from './rules.js';
import { startSession } from '../sessions/start.js';
import { codeAmr } from '../sessions/amr.js';
import type { IssuedTokens } from '../tokens/mint.js';
import { consumeVerificationToken } from '../defence/codes.js';

/** The usage a code must have been sent for (or none) to sign in. */
export const SIGN_IN_USAGE = 'sign_in';

export interface VerificationSignIn {
  identifier: IdentifierInput;
  verificationToken: string;
  userType: string;
  scope: string;
  deviceId: string;
  sourceType: string;
  ip: string;
}

export async function signInWithVerificationToken(deps: Deps, cc: ClientContext, req: VerificationSignIn): Promise<IssuedTokens> {
  const audit: AuditEventInput = { event: 'sign_in', tenantId: cc.tenant.id, clientId: cc.client.id, deviceId: req.deviceId, ip: req.ip };
  try {
    const tokens = await verificationSteps(deps, cc, req, audit);
    deps.audit.record({ ...audit, reason: 'verification_code' });
    return tokens;
  } catch (err) {
    if (isSignetError(err)) deps.audit.record({ ...audit, event: 'sign_in_failed', reason: err.reason, detail: err.detail });
    throw err;
  }
}

async function verificationSteps(deps: Deps, cc: ClientContext, req: VerificationSignIn, audit: AuditEventInput): Promise<IssuedTokens> {
  // Everything that can be refused without the token is, before it is spent.
  requireUserScope(cc);
  const scope = grantScope(cc.client, req.scope);
  const channel = readChannel(req.sourceType, req.deviceId);
  const claimedType = req.userType ? readUserType(req.userType) : undefined;
  const { username, email, phoneNumber } = req.identifier;
  const named = [username, email, phoneNumber].some((v) => v && v.trim() !== '') ? readIdentifier(req.identifier) : null;

  const proof = await consumeVerificationToken(deps, req.verificationToken, { tenantId: cc.tenant.id, usage: SIGN_IN_USAGE });
  if (!proof) throw new SignetError('invalid_grant', 'verification_token_unknown');
  if (claimedType && claimedType !== proof.userType) throw new SignetError('invalid_grant', 'user_type_mismatch');
  const field = proof.channel === 'sms' ? 'phone' : 'email';
  const user = await findVerifiedUser(deps, cc.tenant, proof.userType, field, proof.destination);
  audit.userId = user.id;
  // An identifier sent along must name the same user: a token for one account never opens another.
  if (named && !identifies(named, user))
    throw new SignetError('invalid_grant', 'account_mismatch', { message: 'invalid_grant.account_mismatch' });
  checkUsable(user, deps.now());
  return startSession(deps, { tenant: cc.tenant, client: cc.client, user, scope, deviceId: req.deviceId, channel, amr: [codeAmr(field)] });
}

/** The user whose phone or e-mail received the code; unknown → not_found, or invalid_grant when hidden. */
export async function findVerifiedUser(deps: Deps, tenant: Tenant, userType: UserType, field: LoginField, value: string): Promise<User> {
  const user = await deps.storage.users.findByLogin(tenant.id, userType, field, value);
  if (user) return user;
  if (tenant.policy.hideUnknownUsers) throw new SignetError('invalid_grant', 'user_unknown');
  throw new SignetError('not_found', 'user_unknown', { message: field === 'phone' ? 'not_found.phone' : 'not_found.email' });
}

export interface VerifiedSession {
  userType: UserType;
  /** Where the code was received. */
  field: 'phone' | 'email';
  value: string;
  scope: string[];
  deviceId: string;
  channel: string;
}

/** The common end of both code sign-ins: the verified user, usable, gets a session. */
export async function startVerifiedSession(deps: Deps, cc: ClientContext, v: VerifiedSession): Promise<IssuedTokens> {
  const user = await findVerifiedUser(deps, cc.tenant, v.userType, v.field, v.value);
  checkUsable(user, deps.now());
  return startSession(deps, {
    tenant: cc.tenant,
    client: cc.client,
    user,
    scope: v.scope,
    deviceId: v.deviceId,
    channel: v.channel,
    amr: [codeAmr(v.field)],
  });
}

function identifies(id: Identifier, user: User): boolean {
  switch (id.field) {
    case 'phone':
      return user.phoneNumber === id.value;
    case 'email':
      return user.email === id.value;
    default:
      return user.username === id.value;
  }
}
