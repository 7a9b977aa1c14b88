// Reading an authorization request (RFC 6749 4.1.1, OpenID Connect Core 3.1.2.1) in two steps,
// because they fail differently (RFC 6749 4.1.2.1): until the client and its redirect URI are
// known good, an error is shown to the user and nobody is redirected anywhere (trustRedirect);
// after that, every error goes back to the client at its redirect URI (checkRequest).
import type { Deps } from '../deps.js';
import type { Client, Tenant } from '../model.js';
import { SignetError, invalidArgument, isSignetError } from '../errors.js';
import { grantScope, requireGrant, requireUserScope } from '../accounts/clients.js';
import { requireRegisteredRedirect } from '../accounts/redirect-uris.js';
import { AUTHORIZATION_CODE, readCodeChallenge } from '../tokens/authorization-codes.js';

/** The parameters as the browser sent them ('' for absent). */
export interface AuthorizationParams {
  clientId: string;
  redirectUri: string;
  responseType: string;
  responseMode: string;
  scope: string;
  state: string;
  nonce: string;
  codeChallenge: string;
  codeChallengeMethod: string;
  prompt: string;
  maxAge: string;
  loginHint: string;
  uiLocales: string;
  request: string;
  requestUri: string;
}

export type Prompt = 'none' | 'login' | 'consent';
const PROMPTS: ReadonlySet<string> = new Set(['none', 'login', 'consent', 'select_account']);

/** Where errors may be sent: the client and a redirect URI it registered. */
export interface TrustedRedirect {
  client: Client;
  tenant: Tenant;
  redirectUri: string;
  /** Echoed with every answer sent there, error or not. */
  state: string;
}

/** A request every check passed. */
export interface AuthorizationRequest extends TrustedRedirect {
  scope: string[];
  nonce: string;
  codeChallenge: string;
  prompt: ReadonlySet<Prompt>;
  /** Seconds, or null when not asked. */
  maxAge: number | null;
  loginHint: string;
  uiLocales: string[];
}

/** The longest a parameter may be: longer ones are refused, not cut (cut, they would mean something else). */
const MAX_PARAM = 2048;

/**
 * The client and redirect URI, or an error for the user's eyes only (unknown or disabled
 * client or tenant, a redirect URI not registered exactly). Counted against the rate limits
 * first: a page costs little, but nothing an attacker can reach is free.
 */
export async function trustRedirect(deps: Deps, p: AuthorizationParams, ip: string): Promise<TrustedRedirect> {
  await deps.limiter.checkRequest(ip, p.clientId);
  if (!p.clientId) throw invalidArgument('client_id', 'client_id is required');
  const client = await deps.directory.client(p.clientId);
  if (!client) throw new SignetError('invalid_client', 'client_unknown');
  if (client.status !== 'enabled') throw new SignetError('invalid_client', 'client_disabled');
  const tenant = await deps.directory.tenant(client.tenantId);
  if (!tenant) throw new SignetError('invalid_client', 'tenant_unknown', { message: 'invalid_client.tenant_invalid' });
  if (tenant.status !== 'enabled') throw new SignetError('tenant_disabled', 'tenant_disabled');
  // OpenID Connect makes redirect_uri required; so does Signet, whatever the client registered.
  const redirectUri = requireRegisteredRedirect(client, p.redirectUri);
  return { client, tenant, redirectUri, state: p.state };
}

/** The rest of the request: each refusal here is answered at the redirect URI. */
export function checkRequest(t: TrustedRedirect, p: AuthorizationParams): AuthorizationRequest {
  for (const [name, value] of Object.entries(p)) {
    if (value.length > MAX_PARAM) throw invalidArgument(snake(name), `longer than ${MAX_PARAM} characters`);
  }
  if (p.request) throw refused('request', 'request_not_supported', 'request objects are not supported');
  if (p.requestUri) throw refused('request_uri', 'request_uri_not_supported', 'request objects are not supported');
  if (!p.responseType) throw invalidArgument('response_type', 'response_type is required');
  if (p.responseType !== 'code') throw refused('response_type', 'unsupported_response_type', 'only response_type=code is supported');
  if (p.responseMode && p.responseMode !== 'query') throw invalidArgument('response_mode', 'only response_mode=query is supported');
  requireGrant(t.client, AUTHORIZATION_CODE);
  requireUserScope({ client: t.client, tenant: t.tenant });
  const scope = grantScope(t.client, p.scope);
  const codeChallenge = readCodeChallenge(p.codeChallenge, p.codeChallengeMethod, t.client.type === 'public');
  return {
    ...t,
    scope,
    nonce: p.nonce,
    codeChallenge,
    prompt: readPrompt(p.prompt),
    maxAge: readMaxAge(p.maxAge),
    loginHint: p.loginHint.slice(0, 256),
    uiLocales: p.uiLocales.split(' ').filter(Boolean),
  };
}

function readPrompt(v: string): ReadonlySet<Prompt> {
  const values = v.split(' ').filter(Boolean);
  for (const x of values) if (!PROMPTS.has(x)) throw invalidArgument('prompt', `unknown prompt value: ${x.slice(0, 40)}`);
  // OpenID Connect Core 3.1.2.1: none with anything else is an error.
  if (values.includes('none') && values.length > 1) throw invalidArgument('prompt', 'prompt=none cannot be combined with other values');
  // select_account: one account per browser here, so it asks nothing more than login would.
  return new Set(values.map((x) => (x === 'select_account' ? 'login' : x)) as Prompt[]);
}

function readMaxAge(v: string): number | null {
  if (v === '') return null;
  if (!/^\d{1,9}$/.test(v)) throw invalidArgument('max_age', 'max_age is a whole number of seconds');
  return Number(v);
}

/** Refusals OAuth names with an error code of their own (the others are invalid_request). */
const OWN_ERRORS: ReadonlySet<string> = new Set(['request_not_supported', 'request_uri_not_supported', 'unsupported_response_type']);

function refused(field: string, error: string, description: string): SignetError {
  return new SignetError('invalid_argument', error, { fieldViolations: [{ field, description }] });
}

/** The OAuth error code (RFC 6749 4.1.2.1, OpenID Connect Core 3.1.2.6) a refusal is sent back as. */
export function authorizationErrorOf(err: unknown): string {
  if (!isSignetError(err)) return 'server_error';
  switch (err.reason) {
    case 'invalid_argument':
      return OWN_ERRORS.has(err.detail) ? err.detail : 'invalid_request';
    case 'invalid_scope':
      return 'invalid_scope';
    case 'permission_denied':
      return 'unauthorized_client';
    case 'access_denied':
      return 'access_denied';
    case 'resource_exhausted':
    case 'unavailable':
      return 'temporarily_unavailable';
    default:
      return 'server_error';
  }
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
