// AccountService: one map, assembled from the handler groups that own its RPCs.
import type { Deps } from '../domain/deps.js';
import type { HandlersOf } from './context.js';
import type { AccountServiceDefinition } from '../gen/signet/auth/v1/account_service.js';
import { selfServiceHandlers } from './self-service-handlers.js';
import { sessionHandlers } from './session-handlers.js';
import { accountCheckHandlers } from './signup-handlers.js';
import { authorizeHandlers } from './authorize-handlers.js';
import { consentHandlers } from './consent-handlers.js';

export function accountHandlers(deps: Deps): HandlersOf<typeof AccountServiceDefinition> {
  return {
    ...selfServiceHandlers(deps),
    ...sessionHandlers(deps),
    ...accountCheckHandlers(deps),
    ...authorizeHandlers(deps),
    ...consentHandlers(deps),
  };
}
