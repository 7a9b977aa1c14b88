// AuthService: convert the request, call the domain, convert the answer. No rules here.
import type { Deps } from '../domain/deps.js';
import type { ServiceHandlers, CallContext } from './context.js';
import type { SignInRequest, TokenRequest, TokenResponse, RevokeRequest } from '../gen/signet/auth/v1/token.js';
import type { UserInfo } from '../gen/signet/auth/v1/user.js';
import type { Jwks, OpenIdConfiguration } from '../gen/signet/auth/v1/discovery.js';
import { authenticateClient, readClientCredentials } from '../domain/clients.js';
import { signInWithPassword } from '../domain/signin.js';
import { issueToken } from '../domain/grants/index.js';
import { PASSWORD_CAPTCHA_STATES } from '../domain/grants/password.js';
import { signInWithVerificationToken } from '../domain/codesignin.js';
import { verificationHandlers } from './verification_handlers.js';
import { signInOptionsHandlers } from './signin_options_handlers.js';
import { transportHandlers } from './transport_handlers.js';
import { withPassword } from '../domain/encrypted_password.js';
import { currentUser } from '../domain/bearer.js';
import { revokeToken, signOut } from '../domain/revoke.js';
import { invalidArgument } from '../domain/errors.js';
import { admitted } from '../domain/defence/ratelimit.js';
import type { IssuedTokens } from '../domain/tokens.js';
import { GRANTS } from '../domain/grants/index.js';

export function tokenBody(t: IssuedTokens): TokenResponse {
  return {
    token_type: t.tokenType,
    access_token: t.accessToken,
    refresh_token: t.refreshToken,
    id_token: t.idToken,
    expires_in: t.expiresIn,
    scope: t.scope,
    sub: t.sub,
    groups: t.groups,
    need_weda_resource: false,
  };
}

/** The request's device id, else the x-device-id header; bounded so it can't bloat storage. */
export function deviceOf(fromBody: string, ctx: CallContext): string {
  const id = fromBody || ctx.metadata['x-device-id'] || '';
  if (id.length > 128) throw invalidArgument('device_id', 'at most 128 characters');
  return id;
}

export function authHandlers(deps: Deps): ServiceHandlers {
  return {
    ...verificationHandlers(deps),
    ...signInOptionsHandlers(deps),
    ...transportHandlers(deps),
    async SignIn(req: SignInRequest, ctx): Promise<TokenResponse> {
      const creds = readClientCredentials(req, ctx.metadata.authorization);
      const admission = deps.limiter.admit(ctx.clientIp, creds.clientId);
      return tokenBody(await admitted(admission, async () => {
        // A confidential client proves its secret here as at the token endpoint; public clients
        // (browsers, the CloudBase SDK) have none to prove.
        const cc = await authenticateClient(deps.directory, creds, true, admission);
        const deviceId = deviceOf(req.device_id, ctx);
        if (req.verification_token && !req.password) {
          await admission.limits();
          return signInWithVerificationToken(deps, cc, { ...req, deviceId, ip: ctx.clientIp });
        }
        // The password is decrypted (per the client's password_encryption) before the lockout counts or compares anything.
        return withPassword(deps, cc.client, req.password, (password) => signInWithPassword(deps, cc, {
          ...req,
          password,
          deviceId,
          captcha: { token: req.captcha_token || ctx.metadata['x-captcha-token'] },
          captchaStates: PASSWORD_CAPTCHA_STATES,
          ip: ctx.clientIp,
          admission,
          method: 'signin',
        }), admission);
      }));
    },

    async Token(req: TokenRequest, ctx): Promise<TokenResponse> {
      const credentials = readClientCredentials(req, ctx.metadata.authorization);
      const admission = deps.limiter.admit(ctx.clientIp, credentials.clientId);
      return tokenBody(await admitted(admission, async () => issueToken(deps, {
        ...req,
        captcha_token: req.captcha_token || ctx.metadata['x-captcha-token'],
        credentials,
        deviceId: deviceOf(req.device_id, ctx),
        ip: ctx.clientIp,
        admission,
      })));
    },

    async GetUserInfo(_req, ctx): Promise<UserInfo> {
      const u = await currentUser(deps, ctx.metadata.authorization);
      return {
        sub: u.id,
        name: u.name ?? u.username ?? '',
        username: u.username ?? '',
        email: u.email ?? '',
        email_verified: u.emailVerified,
        phone_number: u.phoneNumber ?? '',
        phone_number_verified: u.phoneVerified,
        groups: u.groups.map((id) => ({ id })),
        created_at: u.createdAt,
        user_type: u.userType,
        tenant_id: u.tenantId,
        status: u.status,
      };
    },

    async Revoke(req: RevokeRequest, ctx) {
      await revokeToken(deps, req.token, req.token_type_hint, readClientCredentials(req, ctx.metadata.authorization), ctx.clientIp);
      return {};
    },

    async SignOut(_req, ctx) {
      await signOut(deps, ctx.metadata.authorization, ctx.clientIp);
      return {};
    },

    async GetJwks(): Promise<Jwks> {
      const { keys } = await deps.keys.publicJwks();
      return {
        keys: keys.map((k) => ({
          kty: k.kty ?? '', kid: k.kid ?? '', use: k.use ?? 'sig', alg: k.alg ?? '',
          crv: k.crv ?? '', x: k.x ?? '', y: k.y ?? '', n: k.n ?? '', e: k.e ?? '',
        })),
      };
    },

    async GetOpenIdConfiguration(): Promise<OpenIdConfiguration> {
      const iss = deps.settings.issuer.replace(/\/$/, '');
      return {
        issuer: deps.settings.issuer,
        jwks_uri: `${iss}/.well-known/jwks.json`,
        token_endpoint: `${iss}/auth/v1/token`,
        userinfo_endpoint: `${iss}/auth/v1/user/me`,
        revocation_endpoint: `${iss}/auth/v1/revoke`,
        response_types_supported: ['token'],
        // `implicit` is only HZERO's name for the SMS grant; to OIDC clients it would mean the implicit flow.
        grant_types_supported: Object.keys(GRANTS).filter((g) => g !== 'implicit'),
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [...new Set((await deps.keys.list()).map((k) => k.alg))],
        scopes_supported: ['openid', 'user', 'profile', 'email', 'phone'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'sid', 'name', 'preferred_username',
          'email', 'email_verified', 'phone_number', 'phone_number_verified', 'groups'],
      };
    },
  };
}
