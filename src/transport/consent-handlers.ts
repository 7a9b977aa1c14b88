// The signed-in user's consents (AccountService) and the operator's view of a user's
// (AdminService): convert, call the domain (domain/accounts/consents.ts), convert back.
import type { Deps } from '../domain/deps.js';
import type { HandlersOf } from './context.js';
import type { AccountServiceDefinition } from '../gen/signet/auth/v1/account_service.js';
import type { AdminServiceDefinition } from '../gen/signet/auth/v1/admin_service.js';
import type { ConsentInfo } from '../gen/signet/auth/v1/account.js';
import {
  adminWithdrawConsent,
  listMyConsents,
  listUserConsents,
  withdrawMyConsent,
  type ConsentView,
} from '../domain/accounts/consents.js';
import { bearerOf } from './credentials.js';
import { deviceOf } from './auth-in.js';

const consentOut = (c: ConsentView): ConsentInfo => ({
  client_id: c.clientId,
  client_name: c.clientName,
  scopes: c.scope,
  granted_at: c.grantedAt,
  updated_at: c.updatedAt,
  user_id: c.userId,
});

export function consentHandlers(deps: Deps): Pick<HandlersOf<typeof AccountServiceDefinition>, 'ListConsents' | 'RevokeConsent'> {
  return {
    async ListConsents(_req, ctx) {
      return { consents: (await listMyConsents(deps, bearerOf(ctx.metadata.authorization), ctx.clientIp)).map(consentOut) };
    },
    async RevokeConsent(req, ctx) {
      const by = { ip: ctx.clientIp, deviceId: deviceOf('', ctx) };
      return { revoked: await withdrawMyConsent(deps, bearerOf(ctx.metadata.authorization), req.client_id, by) };
    },
  };
}

export function adminConsentHandlers(
  deps: Deps,
): Pick<HandlersOf<typeof AdminServiceDefinition>, 'ListUserConsents' | 'RevokeUserConsent'> {
  return {
    async ListUserConsents(req) {
      return { consents: (await listUserConsents(deps, req.user_id)).map(consentOut) };
    },
    async RevokeUserConsent(req) {
      return { revoked: await adminWithdrawConsent(deps, req.user_id, req.client_id) };
    },
  };
}
