// Minting the token body: access token (JWT), OIDC id_token, opaque refresh token.
import { randomUUID } from 'node:crypto';
import type { Client, Tenant, User } from '../model.js';
import type { Deps } from '../deps.js';
import { randomToken } from '../crypto/secrets.js';
import { leftHalfHash } from '../keys/signing-keys.js';

export interface IssuedTokens {
  tokenType: 'Bearer';
  accessToken: string;
  refreshToken: string;
  idToken: string;
  expiresIn: number;
  scope: string;
  sub: string;
  groups: string[];
  /** Token exchange (RFC 8693 2.2.1): the type of the token issued. */
  issuedTokenType?: string;
}

export const ACCESS_TOKEN_TYP = 'at+jwt';
export const ID_TOKEN_TYP = 'JWT';

export interface UserTokenInput {
  tenant: Tenant;
  client: Client;
  user: User;
  sessionId: string;
  scope: string[];
  authTime: Date;
  /** How the user authenticated (RFC 8176), for the id_token's amr; [] leaves the claim out. */
  amr: string[];
  /** OpenID Connect: the authorization request's nonce, copied into the id_token. */
  nonce?: string;
}

/** Access and id token for a user session, plus a fresh refresh token (not yet stored). */
export async function mintUserTokens(deps: Deps, t: UserTokenInput): Promise<IssuedTokens> {
  const ttl = t.client.accessTokenTtl;
  const scope = t.scope.join(' ');
  const common = { iss: deps.settings.issuer, sub: t.user.id, sid: t.sessionId };
  const accessToken = await deps.keys.sign(
    {
      ...common,
      aud: t.client.id,
      client_id: t.client.id,
      scope,
      groups: t.user.groups,
      tid: t.tenant.id,
      user_type: t.user.userType,
      jti: randomUUID(),
    },
    ttl,
    ACCESS_TOKEN_TYP,
  );
  // at_hash binds the id_token to this access token (OIDC Core 3.1.3.6), hashed as its signer's alg says.
  const claims = idTokenClaims(common, t);
  const idToken = await deps.keys.sign((alg) => ({ ...claims, at_hash: leftHalfHash(alg, accessToken) }), ttl, ID_TOKEN_TYP);
  return {
    tokenType: 'Bearer',
    accessToken,
    refreshToken: randomToken(32),
    idToken,
    expiresIn: ttl,
    scope,
    sub: t.user.id,
    groups: t.user.groups,
  };
}

function idTokenClaims(common: Record<string, string>, t: UserTokenInput): Record<string, unknown> {
  const u = t.user;
  const claims: Record<string, unknown> = {
    ...common,
    aud: t.client.id,
    auth_time: Math.floor(t.authTime.getTime() / 1000),
    groups: u.groups,
  };
  if (t.amr.length > 0) claims.amr = t.amr;
  if (t.nonce) claims.nonce = t.nonce;
  if (u.username) claims.preferred_username = u.username;
  if (u.name) claims.name = u.name;
  if (u.email) Object.assign(claims, { email: u.email, email_verified: u.emailVerified });
  if (u.phoneNumber) Object.assign(claims, { phone_number: u.phoneNumber, phone_number_verified: u.phoneVerified });
  return claims;
}

/** client_credentials: the client acts for itself; no refresh token and no id token. */
export async function mintClientToken(deps: Deps, tenant: Tenant, client: Client, scope: string[]): Promise<IssuedTokens> {
  const ttl = client.accessTokenTtl;
  const scopeText = scope.join(' ');
  const accessToken = await deps.keys.sign(
    {
      iss: deps.settings.issuer,
      sub: client.id,
      aud: client.id,
      client_id: client.id,
      scope: scopeText,
      tid: tenant.id,
      jti: randomUUID(),
    },
    ttl,
    ACCESS_TOKEN_TYP,
  );
  return { tokenType: 'Bearer', accessToken, refreshToken: '', idToken: '', expiresIn: ttl, scope: scopeText, sub: client.id, groups: [] };
}

export const ACCESS_TOKEN_TYPE_URN = 'urn:ietf:params:oauth:token-type:access_token';

/** The actor chain of an exchanged token (RFC 8693 4.1): the current actor, then earlier ones. */
export interface ActClaim {
  sub: string;
  act?: ActClaim;
}

export interface ExchangedTokenInput {
  tenant: Tenant;
  /** The client that asked for the exchange: client_id, and the actor. */
  client: Client;
  /** Who the token is for (aud): a client of the same tenant. */
  audience: Client;
  user: User;
  sessionId: string;
  scope: string[];
  act: ActClaim;
  /** The subject token's exp (seconds since the epoch): the new token dies no later. */
  notAfter: number;
}

/**
 * Token exchange (RFC 8693): an access token for the same user and session (revoking the session
 * stops it at once), narrowed, naming the client that acts; no refresh token and no id token.
 */
export async function mintExchangedToken(deps: Deps, t: ExchangedTokenInput): Promise<IssuedTokens> {
  const ttl = Math.min(t.client.accessTokenTtl, t.notAfter - Math.floor(deps.clock.now() / 1000));
  const scope = t.scope.join(' ');
  const accessToken = await deps.keys.sign(
    {
      iss: deps.settings.issuer,
      sub: t.user.id,
      sid: t.sessionId,
      aud: t.audience.id,
      client_id: t.client.id,
      scope,
      groups: t.user.groups,
      tid: t.tenant.id,
      user_type: t.user.userType,
      act: t.act,
      jti: randomUUID(),
    },
    ttl,
    ACCESS_TOKEN_TYP,
    t.notAfter,
  );
  return {
    tokenType: 'Bearer',
    accessToken,
    refreshToken: '',
    idToken: '',
    expiresIn: ttl,
    scope,
    sub: t.user.id,
    groups: t.user.groups,
    issuedTokenType: ACCESS_TOKEN_TYPE_URN,
  };
}
