import type { Deps } from '../../deps.js';
import type { ClientContext } from '../../accounts/clients.js';
import type { TokenCommand } from '../../commands.js';
import type { IssuedTokens } from '../mint.js';
import type { Admission } from '../../defence/request-checks.js';

/**
 * One grant type of the token endpoint. The endpoint admits the request, authenticates the
 * client and checks what the grant requires of it; `run` is only what is particular to the grant.
 */
export interface Grant {
  /** The grant the client must list. */
  clientGrant: string;
  /** It signs a user in: the client needs the `user` scope. */
  signsInUsers: boolean;
  /** Only confidential clients may use it. */
  confidentialOnly: boolean;
  /**
   * It runs the password sign-in path, which counts the request with its lockout reservation
   * (one Redis write) and writes its own audit events (it knows the user and the lock).
   */
  passwordSignIn: boolean;
  /** The reason of its `token` audit event, when not the grant type itself. */
  auditReason?: string;
  run(deps: Deps, cc: ClientContext, cmd: TokenCommand, checks: Admission): Promise<IssuedTokens>;
}
