// AccountService: the authorization endpoint for signed-in users (Authorize, GetAuthorizeInfo).
// Convert, call one domain command (domain/tokens/authorize.ts), convert back. No rules here.
import type { Deps } from '../domain/deps.js';
import type { CallContext, HandlersOf } from './context.js';
import type { AccountServiceDefinition } from '../gen/signet/auth/v1/account_service.js';
import type { AuthorizeRequest, GetAuthorizeInfoRequest } from '../gen/signet/auth/v1/authorize.js';
import type { AuthorizeCommand } from '../domain/commands.js';
import { authorize, authorizeInfo } from '../domain/tokens/authorize.js';
import { authorizeDevice } from '../domain/tokens/device.js';
import { bearerOf } from './credentials.js';

const command = (req: AuthorizeRequest | GetAuthorizeInfoRequest, ctx: CallContext): AuthorizeCommand => ({
  accessToken: bearerOf(ctx.metadata.authorization),
  ip: ctx.clientIp,
  clientId: req.client_id,
  responseType: req.response_type,
  redirectUri: req.redirect_uri,
  scope: req.scope,
  codeChallenge: 'code_challenge' in req ? req.code_challenge : '',
  codeChallengeMethod: 'code_challenge_method' in req ? req.code_challenge_method : '',
  nonce: 'nonce' in req ? req.nonce : '',
});

export function authorizeHandlers(
  deps: Deps,
): Pick<HandlersOf<typeof AccountServiceDefinition>, 'Authorize' | 'GetAuthorizeInfo' | 'AuthorizeDevice'> {
  return {
    async Authorize(req, ctx) {
      return { code: await authorize(deps, command(req, ctx)), state: req.state };
    },
    async AuthorizeDevice(req, ctx) {
      const r = await authorizeDevice(deps, {
        accessToken: bearerOf(ctx.metadata.authorization),
        ip: ctx.clientIp,
        userCode: req.user_code,
        action: req.action,
      });
      return { state: req.state, status: r.status, client_id: r.clientId };
    },
    async GetAuthorizeInfo(req, ctx) {
      const info = await authorizeInfo(deps, command(req, ctx));
      return {
        client: { id: info.client.id, name: info.client.name, description: '', picture: '', url: '' },
        scopes: info.scopes.map((s) => ({ id: s.id, name: s.name, description: '' })),
      };
    },
  };
}
