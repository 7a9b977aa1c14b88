// Token exchange (RFC 8693) for service-to-service calls: a backend holding a user's access token
// gets a narrower one for the service it calls next. The client that asks is confidential and
// allowed the grant by the operator; the token it gets is the same user's, in the same session
// (revoking the session stops it at once), names the client as the actor (`act`), carries no more
// scope than both the subject token and the client have, and dies no later than the subject token.
import type { Grant } from './grant.js';
import type { Deps } from '../../deps.js';
import type { ClientContext } from '../../accounts/clients.js';
import type { TokenExchangeInput } from '../../commands.js';
import type { Client } from '../../model.js';
import { SignetError, invalidArgument, isSignetError } from '../../errors.js';
import { currentSession } from '../../sessions/bearer.js';
import { ACCESS_TOKEN_TYPE_URN, mintExchangedToken, type ActClaim } from '../mint.js';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

export const tokenExchangeGrant: Grant = {
  clientGrant: TOKEN_EXCHANGE,
  signsInUsers: false,
  confidentialOnly: true,
  passwordSignIn: false,
  auditReason: 'token_exchange',
  async run(deps, cc, cmd) {
    const x = checkRequest(cmd.exchange);
    const audience = await audienceOf(deps, cc, x.audience);
    const { user, claims } = await subjectOf(deps, cc, x.subjectToken);
    if (typeof claims.exp !== 'number') throw new SignetError('invalid_grant', 'subject_token_no_exp');
    return mintExchangedToken(deps, {
      tenant: cc.tenant,
      client: cc.client,
      audience,
      user,
      sessionId: claims.sid,
      scope: exchangeScope(cc.client, claims.scope ?? '', cmd.scope),
      act: actOf(cc.client.id, claims.act),
      notAfter: claims.exp,
    });
  },
};

const EMPTY: TokenExchangeInput = {
  subjectToken: '',
  subjectTokenType: '',
  requestedTokenType: '',
  audience: '',
  resource: '',
  actorToken: '',
  actorTokenType: '',
};

/** RFC 8693 2.1: what is missing or unsupported is invalid_request (invalid_argument). */
function checkRequest(given: TokenExchangeInput | undefined): TokenExchangeInput {
  const x = given ?? EMPTY;
  if (!x.subjectToken) throw invalidArgument('subject_token', 'subject_token is required');
  if (x.subjectTokenType !== ACCESS_TOKEN_TYPE_URN) {
    throw invalidArgument('subject_token_type', `subject_token_type must be ${ACCESS_TOKEN_TYPE_URN}`);
  }
  if (x.requestedTokenType && x.requestedTokenType !== ACCESS_TOKEN_TYPE_URN) {
    throw invalidArgument('requested_token_type', `only ${ACCESS_TOKEN_TYPE_URN} is issued`);
  }
  // Delegation only: the authenticated client is the actor, so an actor token would add nothing.
  if (x.actorToken || x.actorTokenType) throw invalidArgument('actor_token', 'actor tokens are not supported: the client is the actor');
  // The services a token is for are clients: name one with audience.
  if (x.resource) throw invalidArgument('resource', 'resource is not supported: name the receiving client with audience');
  return x;
}

/** The receiving client: enabled, of the requesting client's tenant; by default the client itself. */
async function audienceOf(deps: Deps, cc: ClientContext, id: string): Promise<Client> {
  if (!id || id === cc.client.id) return cc.client;
  const target = await deps.directory.client(id);
  // One answer for unknown, disabled and another tenant's: the tenant's clients are not probed.
  if (!target || target.tenantId !== cc.tenant.id || target.status !== 'enabled') {
    throw invalidArgument('audience', 'audience must be an enabled client of the same tenant');
  }
  return target;
}

/**
 * The subject token: a valid, unrevoked access token of a usable user of this tenant. Every way
 * it fails is invalid_grant (RFC 8693 2.2.2), its cause kept for the operator.
 */
async function subjectOf(deps: Deps, cc: ClientContext, token: string) {
  let session: Awaited<ReturnType<typeof currentSession>>;
  try {
    session = await currentSession(deps, token);
  } catch (err) {
    if (isSignetError(err) && err.reason === 'unauthenticated') throw new SignetError('invalid_grant', `subject_${err.detail}`, {}, err);
    throw err;
  }
  if (session.claims.tid !== cc.tenant.id || session.user.tenantId !== cc.tenant.id) {
    throw new SignetError('invalid_grant', 'subject_other_tenant');
  }
  return session;
}

/**
 * The scope of the new token: what was asked, each within both the subject token's scope and
 * the client's; by default all the two share. Never empty, never more.
 */
export function exchangeScope(client: Client, subjectScope: string, requested: string): string[] {
  const held = subjectScope.split(' ').filter(Boolean);
  const asked = requested.split(/\s+/).filter(Boolean);
  if (asked.length === 0) {
    const shared = held.filter((s) => client.scopes.includes(s));
    if (shared.length === 0) throw new SignetError('invalid_scope', 'scope_none_shared');
    return shared;
  }
  const refused = asked.filter((s) => !held.includes(s) || !client.scopes.includes(s));
  if (refused.length > 0) throw new SignetError('invalid_scope', 'scope_escalation', { metadata: { scope: refused.join(' ') } });
  return [...new Set(asked)];
}

/** RFC 8693 4.1: the requesting client is the current actor; earlier actors nest inside. */
export function actOf(clientId: string, prior: unknown): ActClaim {
  return isAct(prior) ? { sub: clientId, act: prior } : { sub: clientId };
}

const isAct = (v: unknown): v is ActClaim => typeof v === 'object' && v !== null && typeof (v as { sub?: unknown }).sub === 'string';
