// AuthService's encrypted-password RPCs: GetPublicKey (GET /auth/v1/public-key, and CloudBase's
// POST /auth/v2/signin/publichkey) and SignInWithEncryptedParams (POST /auth/v2/signin/username).
// The rules live in domain/encrypted_password.ts and domain/transport_keys.ts.
import type { Deps } from '../domain/deps.js';
import type { ServiceHandlers } from './context.js';
import type {
  GetPublicKeyResponse, SignInWithEncryptedParamsRequest,
} from '../gen/signet/auth/v1/transport.js';
import type { TokenResponse } from '../gen/signet/auth/v1/token.js';
import { authenticateClient, readClientCredentials, type ClientContext } from '../domain/clients.js';
import { signInWithPassword } from '../domain/signin.js';
import { PASSWORD_CAPTCHA_STATES } from '../domain/grants/password.js';
import { withEncryptedParams } from '../domain/encrypted_password.js';
import { admitted } from '../domain/defence/ratelimit.js';
import { deviceOf, tokenBody } from './auth_handlers.js';

/** Captcha flows the encrypted sign-in accepts a token of: the password ones, and its own route. */
const ENCRYPTED_CAPTCHA_STATES = [...PASSWORD_CAPTCHA_STATES, 'POST:/v2/signin/username'];

/** The tenant as it answers an unknown user when hide_unknown_users is on (see readEncryptedParams). */
const hidingUnknownUsers = (cc: ClientContext): ClientContext => ({
  ...cc,
  tenant: { ...cc.tenant, policy: { ...cc.tenant.policy, hideUnknownUsers: true } },
});

export function transportHandlers(deps: Deps): ServiceHandlers {
  return {
    async GetPublicKey(): Promise<GetPublicKeyResponse> {
      const key = await deps.transportKeys.current();
      return { public_key: key.publicKeyPem, public_key_thumbprint: key.thumbprint };
    },

    async SignInWithEncryptedParams(req: SignInWithEncryptedParamsRequest, ctx): Promise<TokenResponse> {
      const creds = readClientCredentials(req, ctx.metadata.authorization);
      const admission = deps.limiter.admit(ctx.clientIp, creds.clientId);
      return tokenBody(await admitted(admission, async () => {
        // A confidential client proves its secret here as at the token endpoint; public clients
        // (browsers, the CloudBase SDK) have none to prove.
        const cc = await authenticateClient(deps.directory, creds, true, admission);
        const deviceId = deviceOf(req.device_id, ctx);
        return withEncryptedParams(deps, cc.client, req.params, req.public_key_thumbprint, (p) =>
          signInWithPassword(deps, p.undecodable ? hidingUnknownUsers(cc) : cc, {
            username: p.username,
            email: p.email,
            phone_number: p.phone_number,
            password: p.password,
            verification_token: p.verification_token,
            user_type: req.user_type,
            source_type: req.source_type,
            deviceId,
            captcha: { token: req.captcha_token || ctx.metadata['x-captcha-token'] },
            captchaStates: ENCRYPTED_CAPTCHA_STATES,
            ip: ctx.clientIp,
            admission,
            method: 'signin_encrypted',
          }), admission);
      }));
    },
  };
}
