// The OpenID Connect UserInfo endpoint (OIDC Core 5.3): the claims about the token's user that its
// scopes release. `sub` always; `profile`, `email` and `phone` as OIDC Core 5.4 groups them.
//
// Decisions where the specification leaves room:
// - The `openid` scope is not required: CloudBase's clients hold `user` tokens that are as much the
//   user's as an OpenID one, and `sub` alone tells nothing the token does not carry already.
// - A token obtained by token exchange (it carries `act`) may ask: reading the user's claims is the
//   kind of downstream call such a token is made for, and its (narrowed) scopes still decide.
// - A claim without a value (no e-mail address, no picture) is absent, not null or "".
import type { Deps } from '../deps.js';
import type { User } from '../model.js';
import { currentSession } from './bearer.js';

export interface OidcClaims {
  sub: string;
  name?: string;
  preferredUsername?: string;
  picture?: string;
  gender?: string;
  locale?: string;
  /** Seconds since the epoch. */
  updatedAt?: number;
  email?: string;
  emailVerified?: boolean;
  phoneNumber?: string;
  phoneNumberVerified?: boolean;
}

/** The claims the access token's scopes release about its user; `unauthenticated` for a bad token. */
export async function oidcUserInfo(deps: Deps, accessToken: string): Promise<OidcClaims> {
  const { user, claims } = await currentSession(deps, accessToken);
  return claimsOf(user, new Set((claims.scope ?? '').split(' ').filter(Boolean)));
}

export function claimsOf(u: User, scopes: ReadonlySet<string>): OidcClaims {
  const out: OidcClaims = { sub: u.id };
  const some = (v: string | null) => (v === null || v === '' ? undefined : v);
  if (scopes.has('profile')) {
    out.name = some(u.name) ?? some(u.username);
    out.preferredUsername = some(u.username);
    out.picture = some(u.picture);
    out.gender = some(u.gender);
    out.locale = some(u.locale);
    out.updatedAt = Math.floor(u.updatedAt.getTime() / 1000);
  }
  if (scopes.has('email') && some(u.email)) {
    out.email = u.email as string;
    out.emailVerified = u.emailVerified;
  }
  if (scopes.has('phone') && some(u.phoneNumber)) {
    out.phoneNumber = u.phoneNumber as string;
    out.phoneNumberVerified = u.phoneVerified;
  }
  return out;
}
