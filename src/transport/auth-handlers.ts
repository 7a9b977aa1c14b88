// AuthService: convert the request (auth-in.ts), call one domain command, convert the answer.
// No rules here.
import type { Deps } from '../domain/deps.js';
import type { CallContext, HandlersOf } from './context.js';
import type { AuthServiceDefinition } from '../gen/signet/auth/v1/auth_service.js';
import type { UserInfo } from '../gen/signet/auth/v1/user.js';
import type { Jwks, OidcUserInfo, OpenIdConfiguration } from '../gen/signet/auth/v1/discovery.js';
import { signIn, signInEncrypted, signInWithCode } from '../domain/signin/sign-in.js';
import { GRANTS, token } from '../domain/tokens/token.js';
import { introspect } from '../domain/tokens/introspect.js';
import { deviceAuthorization } from '../domain/tokens/device.js';
import { CODE_CHALLENGE_METHODS } from '../domain/tokens/authorization-codes.js';
import { currentUser } from '../domain/sessions/bearer.js';
import { oidcUserInfo } from '../domain/sessions/userinfo.js';
import { revokeToken, signOut } from '../domain/sessions/revoke.js';
import { countRefused } from '../domain/defence/request-checks.js';
import { verificationHandlers } from './verification-handlers.js';
import { signInOptionsHandlers } from './signin-options-handlers.js';
import { signUpHandlers } from './signup-handlers.js';
import { ticketSignInHandlers } from './ticket-handlers.js';
import {
  codeSignInCommand,
  encryptedSignInCommand,
  introspectCommand,
  introspectionBody,
  signInCommand,
  tokenBody,
  tokenCommand,
} from './auth-in.js';
import { bearerOf, readClientCredentials } from './credentials.js';
import { isPlain } from './line.js';
import { userInfoOf } from './user-out.js';
import { AUTHORIZE_PATH } from './http/pages/authorize.js';

/** How clients authenticate at the token and revocation endpoints (RFC 6749 2.3.1; none: public clients). */
const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'];
/** Introspection is for confidential clients only. */
const INTROSPECTION_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];

/** The RPCs whose every request counts against the rate limits, whatever its answer. */
const COUNTED = new Set([
  'SignIn',
  'Token',
  'SignInWithEncryptedParams',
  'SignInWithVerificationCode',
  'SignInWithCustomTicket',
  'Introspect',
  'DeviceAuthorization',
]);

/** Counts a request of a counted RPC refused at the line or while it is read (client id when readable). */
function countRefusal(deps: Deps, ctx: CallContext, clientId: unknown, err: unknown): Promise<never> {
  const id = typeof clientId === 'string' && isPlain(clientId) ? clientId : '';
  return countRefused(deps, ctx.clientIp, id, err);
}

/** The hook for checkedAtTheLine (line.ts): refusals of the counted RPCs are counted too. */
export const countedAtTheLine = (deps: Deps) => async (rpc: string, req: Record<string, unknown>, ctx: CallContext, err: unknown) => {
  if (COUNTED.has(rpc)) return countRefusal(deps, ctx, req.client_id, err);
  throw err;
};

/**
 * Builds a sign-in or token command and runs it; a request refused while it is read still
 * counts against the rate limits.
 */
function run<C, R>(deps: Deps, ctx: CallContext, clientId: string, read: () => C, command: (cmd: C) => Promise<R>): Promise<R> {
  let cmd: C;
  try {
    cmd = read();
  } catch (err) {
    return countRefusal(deps, ctx, clientId, err);
  }
  return command(cmd);
}

export function authHandlers(deps: Deps): HandlersOf<typeof AuthServiceDefinition> {
  return {
    ...verificationHandlers(deps),
    ...signInOptionsHandlers(deps),
    ...signUpHandlers(deps),
    ...ticketSignInHandlers(deps),

    async SignInWithVerificationCode(req, ctx) {
      return tokenBody(
        await run(
          deps,
          ctx,
          req.client_id,
          () => codeSignInCommand(req, ctx),
          (cmd) => signInWithCode(deps, cmd),
        ),
      );
    },

    async SignIn(req, ctx) {
      return tokenBody(
        await run(
          deps,
          ctx,
          req.client_id,
          () => signInCommand(req, ctx),
          (cmd) => signIn(deps, cmd),
        ),
      );
    },

    async Token(req, ctx) {
      return tokenBody(
        await run(
          deps,
          ctx,
          req.client_id,
          () => tokenCommand(req, ctx),
          (cmd) => token(deps, cmd),
        ),
      );
    },

    async SignInWithEncryptedParams(req, ctx) {
      return tokenBody(
        await run(
          deps,
          ctx,
          req.client_id,
          () => encryptedSignInCommand(req, ctx),
          (cmd) => signInEncrypted(deps, cmd),
        ),
      );
    },

    async GetPublicKey() {
      const key = await deps.transportKeys.current();
      return { public_key: key.publicKeyPem, public_key_thumbprint: key.thumbprint };
    },

    async GetUserInfo(_req, ctx): Promise<UserInfo> {
      return userInfoOf(await currentUser(deps, bearerOf(ctx.metadata.authorization)));
    },

    async GetOidcUserInfo(_req, ctx): Promise<OidcUserInfo> {
      const c = await oidcUserInfo(deps, bearerOf(ctx.metadata.authorization));
      return {
        sub: c.sub,
        name: c.name,
        preferred_username: c.preferredUsername,
        picture: c.picture,
        gender: c.gender,
        locale: c.locale,
        updated_at: c.updatedAt,
        email: c.email,
        email_verified: c.emailVerified,
        phone_number: c.phoneNumber,
        phone_number_verified: c.phoneNumberVerified,
      };
    },

    async Revoke(req, ctx) {
      const creds = readClientCredentials(req, ctx.metadata.authorization);
      await revokeToken(deps, req.token, req.token_type_hint, creds, ctx.clientIp);
      return {};
    },

    async Introspect(req, ctx) {
      return introspectionBody(
        await run(
          deps,
          ctx,
          req.client_id,
          () => introspectCommand(req, ctx),
          (cmd) => introspect(deps, cmd),
        ),
      );
    },

    async DeviceAuthorization(req, ctx) {
      const a = await run(
        deps,
        ctx,
        req.client_id,
        () => ({ client: readClientCredentials(req, ctx.metadata.authorization), ip: ctx.clientIp, scope: req.scope }),
        (cmd) => deviceAuthorization(deps, cmd),
      );
      return {
        device_code: a.deviceCode,
        user_code: a.userCode,
        verification_uri: a.verificationUri,
        verification_uri_complete: a.verificationUriComplete,
        expires_in: a.expiresIn,
        interval: a.interval,
      };
    },

    async SignOut(_req, ctx) {
      await signOut(deps, bearerOf(ctx.metadata.authorization), ctx.clientIp);
      return {};
    },

    async GetJwks(): Promise<Jwks> {
      const { keys } = await deps.keys.publicJwks();
      return {
        keys: keys.map((k) => ({
          kty: k.kty ?? '',
          kid: k.kid ?? '',
          use: k.use ?? 'sig',
          alg: k.alg ?? '',
          crv: k.crv ?? '',
          x: k.x ?? '',
          y: k.y ?? '',
          n: k.n ?? '',
          e: k.e ?? '',
        })),
      };
    },

    async GetOpenIdConfiguration(): Promise<OpenIdConfiguration> {
      const iss = deps.settings.issuer.replace(/\/$/, '');
      return {
        issuer: deps.settings.issuer,
        jwks_uri: `${iss}/.well-known/jwks.json`,
        token_endpoint: `${iss}/auth/v1/token`,
        userinfo_endpoint: `${iss}/oidc/userinfo`,
        end_session_endpoint: `${iss}/oidc/logout`,
        revocation_endpoint: `${iss}/auth/v1/revoke`,
        introspection_endpoint: `${iss}/auth/v1/introspect`,
        device_authorization_endpoint: `${iss}/auth/v1/device/code`,
        authorization_endpoint: `${iss}${AUTHORIZE_PATH}`,
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
        ui_locales_supported: ['zh-CN', 'en'],
        authorization_response_iss_parameter_supported: true,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        claims_parameter_supported: false,
        grant_types_supported: Object.keys(GRANTS),
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [...new Set((await deps.keys.list()).map((k) => k.alg))],
        scopes_supported: ['openid', 'user', 'profile', 'email', 'phone', 'offline_access'],
        token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
        revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
        introspection_endpoint_auth_methods_supported: INTROSPECTION_AUTH_METHODS,
        code_challenge_methods_supported: [...CODE_CHALLENGE_METHODS],
        claims_supported: [
          'sub',
          'iss',
          'aud',
          'exp',
          'iat',
          'auth_time',
          'amr',
          'sid',
          'name',
          'preferred_username',
          'email',
          'email_verified',
          'phone_number',
          'phone_number_verified',
          'groups',
          'picture',
          'gender',
          'locale',
          'updated_at',
        ],
      };
    },
  };
}
