import { decodeProtectedHeader, errors, importJWK, jwtVerify, type JWTPayload } from 'jose';
import type { Deps } from '../deps.js';
import type { ClientCredentials } from '../commands.js';
import type { Client, User } from '../model.js';
import type { AuditEventInput, ExternalIdentity } from '../ports.js';
import type { IssuedTokens } from '../tokens/mint.js';
import { SignetError, invalidArgument, isSignetError } from '../errors.js';
import { authenticateClient, grantScope, requireUserScope, type ClientContext } from '../accounts/clients.js';
import { admitted, beginChecks } from '../defence/request-checks.js';
import { auditedSignIn } from './password.js';
import { sha256Hex } from '../crypto/secrets.js';
import { startSession } from '../sessions/start.js';
import { checkUsable } from './rules.js';
import { blankUser } from '../accounts/blank-user.js';

/** The provider_id the CloudBase SDK sends. */
export const TICKET_PROVIDER_ID = 'custom';
/**
 * The longest a ticket may live (exp − iat): it goes from the backend through the browser to
 * Signet at once, so a longer one only widens the window for a stolen ticket.
 */
export const MAX_TICKET_LIFETIME_SECONDS = 300;
/** How far the backend's clock may be off Signet's, either way. */
export const TICKET_CLOCK_SKEW_SECONDS = 30;
const MAX_SUBJECT_LENGTH = 128;
const MAX_JTI_LENGTH = 128;
/** The audit reason of a ticket sign-in (and of a user it created). */
const METHOD = 'custom_ticket';

export interface TicketSignInCommand {
  client: ClientCredentials;
  ip: string;
  deviceId: string;
  providerId: string;
  ticket: string;
}

/** What a verified ticket says. */
interface TicketClaims {
  sub: string;
  jti: string;
  exp: number;
}

/** The provider of the identities a client's tickets name. */
export const ticketProvider = (clientId: string) => `custom:${clientId}`;

export async function signInWithTicket(deps: Deps, cmd: TicketSignInCommand): Promise<IssuedTokens> {
  const checks = beginChecks(deps, cmd.ip, cmd.client.clientId);
  return admitted(checks, async () => {
    const cc = await authenticateClient(deps.directory, cmd.client, true, checks);
    const audit: AuditEventInput = { event: 'sign_in', tenantId: cc.tenant.id, clientId: cc.client.id, deviceId: cmd.deviceId, ip: cmd.ip };
    return auditedSignIn(deps, audit, METHOD, async () => {
      requireUserScope(cc);
      const scope = grantScope(cc.client, '');
      readTicketRequest(cmd);
      await checks.limits();
      const claims = await verifyTicket(deps, cc.client, cmd.ticket);
      await spendTicket(deps, cc.client, claims);
      const { user, created } = await ticketUser(deps, cc, claims.sub);
      audit.userId = user.id;
      if (created) deps.audit.record({ ...audit, event: 'sign_up', reason: METHOD });
      checkUsable(user, deps.now());
      // The backend authenticated the user, by means Signet cannot know: no amr (RFC 8176 has no
      // value for "asserted by a trusted party"), rather than one that would claim something.
      return startSession(deps, { tenant: cc.tenant, client: cc.client, user, scope, deviceId: cmd.deviceId, channel: '', amr: [] });
    });
  });
}

// ---- the steps

function readTicketRequest(cmd: TicketSignInCommand): void {
  if (cmd.providerId !== '' && cmd.providerId !== TICKET_PROVIDER_ID)
    throw invalidArgument('provider_id', `must be "${TICKET_PROVIDER_ID}"`);
  if (!cmd.ticket) throw invalidArgument('ticket', 'the ticket is required');
}

/**
 * The ticket's signature with the client's key its header names, in the algorithm that key was
 * registered for, then its claims, read against the domain's clock.
 */
async function verifyTicket(deps: Deps, client: Client, ticket: string): Promise<TicketClaims> {
  const key = await deps.storage.ticketKeys.get(client.id, keyIdOf(ticket));
  if (!key) throw invalidTicket('ticket_key_unknown');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(ticket, await importJWK(key.publicJwk, key.alg), {
      algorithms: [key.alg],
      issuer: client.id,
      audience: deps.settings.issuer,
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      // Also refuses an iat further in the future than the skew.
      maxTokenAge: MAX_TICKET_LIFETIME_SECONDS,
      clockTolerance: TICKET_CLOCK_SKEW_SECONDS,
      currentDate: deps.now(),
    }));
  } catch (err) {
    throw refusalOf(err);
  }
  return readClaims(payload);
}

function keyIdOf(ticket: string): string {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(ticket).kid;
  } catch {
    throw invalidTicket('ticket_malformed');
  }
  if (typeof kid !== 'string' || kid === '') throw invalidTicket('ticket_kid_missing');
  return kid;
}

function readClaims(p: JWTPayload): TicketClaims {
  const { sub, jti, iat, exp } = p as { sub: unknown; jti: unknown; iat: number; exp: number };
  if (exp - iat > MAX_TICKET_LIFETIME_SECONDS) throw invalidTicket('ticket_too_long_lived');
  if (typeof sub !== 'string' || !isExternalId(sub, MAX_SUBJECT_LENGTH)) throw invalidTicket('ticket_sub_invalid');
  if (typeof jti !== 'string' || !isExternalId(jti, MAX_JTI_LENGTH)) throw invalidTicket('ticket_jti_invalid');
  return { sub, jti, exp };
}

/** Non-empty, bounded, no control characters: it is stored and shown to operators. */
const isExternalId = (v: string, max: number) => v.length > 0 && v.length <= max && !/\p{Cc}/u.test(v);

/**
 * Single use: the jti (per client) is remembered, atomically, for as long as the ticket could
 * still pass the checks above. Spent before anything is looked up, so a refused sign-in (an
 * unknown or blocked user) cannot be retried with the same ticket either.
 */
async function spendTicket(deps: Deps, client: Client, claims: TicketClaims): Promise<void> {
  const left = claims.exp + TICKET_CLOCK_SKEW_SECONDS - Math.floor(deps.clock.now() / 1000);
  const digest = sha256Hex(`custom-ticket\n${client.id}\n${claims.jti}`);
  const [fresh] = await deps.stores.replays.rememberNew([digest], Math.max(1, left));
  if (!fresh) throw new SignetError('invalid_grant', 'ticket_replayed', { message: 'invalid_grant.ticket_replayed' });
}

/**
 * The user the ticket names: the one linked to it, else a new one where the client allows.
 * An unknown id is said plainly (not_found), whatever the tenant's hide_unknown_users: only the
 * backend can ask about an id, by signing a ticket for it, and it knows its own users already.
 */
async function ticketUser(deps: Deps, cc: ClientContext, subject: string): Promise<{ user: User; created: boolean }> {
  const identity: ExternalIdentity = { provider: ticketProvider(cc.client.id), subject };
  const known = await deps.storage.identities.findUser(identity);
  if (known) return { user: known, created: false };
  if (!cc.client.customTicketSignUp) throw new SignetError('not_found', 'ticket_user_unknown', { message: 'not_found.user' });
  try {
    return { user: await deps.storage.identities.createLinked(blankUser(cc.tenant.id), identity), created: true };
  } catch (err) {
    // A concurrent first sign-in of the same id linked it first: its user is this one.
    const winner = isSignetError(err) && err.reason === 'already_exists' ? await deps.storage.identities.findUser(identity) : null;
    if (!winner) throw err;
    return { user: winner, created: false };
  }
}

// ---- refusals

const invalidTicket = (detail: string) => new SignetError('invalid_grant', detail, { message: 'invalid_grant.ticket_invalid' });

/** jose's verdict as Signet's: an expired ticket said as such, every other flaw as invalid. */
function refusalOf(err: unknown): SignetError {
  if (err instanceof errors.JWTExpired) {
    return new SignetError('invalid_grant', 'ticket_expired', { message: 'invalid_grant.ticket_expired' });
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return invalidTicket(`ticket_${err.claim}_${err.reason === 'missing' ? 'missing' : 'invalid'}`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalidTicket('ticket_signature');
  if (err instanceof errors.JOSEAlgNotAllowed) return invalidTicket('ticket_alg');
  if (err instanceof errors.JOSEError) return invalidTicket('ticket_malformed');
  throw err;
}
