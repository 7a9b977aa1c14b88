import type { Deps } from '../deps.js';
import type { ClientCredentials } from '../clients.js';
import type { IssuedTokens } from '../tokens.js';

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
}

export type Grant = (deps: Deps, req: TokenGrantRequest) => Promise<IssuedTokens>;
