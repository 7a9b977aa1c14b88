import type { Deps } from '../deps.js';
import type { ClientCredentials } from '../clients.js';
import type { IssuedTokens } from '../tokens.js';
import type { Admission } from '../defence/ratelimit.js';

/** The token request as the domain sees it, whichever dialect carried it. */
export interface TokenGrantRequest {
  grant_type: string;
  credentials: ClientCredentials;
  refresh_token?: string;
  username?: string;
  password?: string;
  scope?: string;
  deviceId: string;
  source_type?: string;
  user_type?: string;
  login_field?: string;
  phone?: string;
  captcha?: string;
  captcha_key?: string;
  captcha_token?: string;
  verification_token?: string;
  /** The client's IP, for rate limits and the audit trail. */
  ip: string;
  /** The request's rate limits and IP failure count, started by the transport (RateLimiter.admit). */
  admission: Admission;
}

export type Grant = (deps: Deps, req: TokenGrantRequest) => Promise<IssuedTokens>;
