// AuthService requests turned into domain commands, and answers back. Every field is read here
// once: wire names become camelCase (the fields' text was checked at the line, line.ts), HTTP Basic and the
// x-device-id / x-captcha-token metadata are folded in, and HZERO's `implicit` becomes `sms`.
import type { CallContext } from './context.js';
import type { IntrospectRequest, IntrospectResponse, SignInRequest, TokenRequest, TokenResponse } from '../gen/signet/auth/v1/token.js';
import type { SignInWithEncryptedParamsRequest } from '../gen/signet/auth/v1/transport.js';
import type { CodeSignInCommand, EncryptedSignInCommand, IntrospectCommand, SignInCommand, TokenCommand } from '../domain/commands.js';
import type { Introspection } from '../domain/tokens/introspect.js';
import type { SignInWithVerificationCodeRequest } from '../gen/signet/auth/v1/account.js';
import type { IssuedTokens } from '../domain/tokens/mint.js';
import { invalidArgument } from '../domain/errors.js';
import { readClientCredentials } from './credentials.js';
import { plain } from './line.js';

const MAX_DEVICE_ID = 128;

/** The request's device id, else the x-device-id header; bounded so it can't bloat storage. */
export function deviceOf(fromBody: string, ctx: CallContext): string {
  const id = fromBody || ctx.metadata['x-device-id'] || '';
  if (id === '') return id;
  if (id.length > MAX_DEVICE_ID) throw invalidArgument('device_id', `at most ${MAX_DEVICE_ID} characters`);
  return plain(id, 'device_id');
}

export const captchaTokenOf = (fromBody: string, ctx: CallContext): string =>
  plain(fromBody || ctx.metadata['x-captcha-token'] || '', 'captcha_token');

const clientOf = (req: { client_id?: string; client_secret?: string }, ctx: CallContext) =>
  readClientCredentials(req, ctx.metadata.authorization);

export function signInCommand(req: SignInRequest, ctx: CallContext): SignInCommand {
  return {
    client: clientOf(req, ctx),
    ip: ctx.clientIp,
    deviceId: deviceOf(req.device_id, ctx),
    identifier: { username: req.username, email: req.email, phoneNumber: req.phone_number, loginField: req.login_field },
    password: req.password,
    verificationToken: req.verification_token,
    userType: req.user_type,
    scope: req.scope,
    sourceType: req.source_type,
    captcha: { token: captchaTokenOf(req.captcha_token, ctx) },
  };
}

/** HZERO's name for the SMS grant (its /oauth/token/mobile sends grant_type=implicit). */
const GRANT_ALIASES: Record<string, string> = { implicit: 'sms' };

export function tokenCommand(req: TokenRequest, ctx: CallContext): TokenCommand {
  return {
    client: clientOf(req, ctx),
    ip: ctx.clientIp,
    deviceId: deviceOf(req.device_id, ctx),
    grantType: Object.hasOwn(GRANT_ALIASES, req.grant_type) ? GRANT_ALIASES[req.grant_type] : req.grant_type,
    scope: req.scope,
    refreshToken: req.refresh_token,
    identifier: { username: req.username, loginField: req.login_field },
    password: req.password,
    userType: req.user_type,
    sourceType: req.source_type,
    verificationToken: req.verification_token,
    // `captcha` and `captcha_key` are HZERO's: an image captcha's answer and id for the password
    // grant, the SMS code and its verification id for the SMS grant.
    captcha: { token: captchaTokenOf(req.captcha_token, ctx), key: req.captcha_key, answer: req.captcha },
    phone: req.phone,
    code: req.captcha,
    codeId: req.captcha_key,
    authorizationCode: req.code,
    redirectUri: req.redirect_uri,
    codeVerifier: req.code_verifier,
    deviceCode: req.device_code,
    exchange: {
      subjectToken: req.subject_token,
      subjectTokenType: req.subject_token_type,
      requestedTokenType: req.requested_token_type,
      audience: req.audience,
      resource: req.resource,
      actorToken: req.actor_token,
      actorTokenType: req.actor_token_type,
    },
  };
}

export function encryptedSignInCommand(req: SignInWithEncryptedParamsRequest, ctx: CallContext): EncryptedSignInCommand {
  return {
    client: clientOf(req, ctx),
    ip: ctx.clientIp,
    deviceId: deviceOf(req.device_id, ctx),
    params: req.params,
    thumbprint: req.public_key_thumbprint,
    username: req.username,
    password: req.password,
    userType: req.user_type,
    sourceType: req.source_type,
    captcha: { token: captchaTokenOf(req.captcha_token, ctx) },
  };
}

export function codeSignInCommand(req: SignInWithVerificationCodeRequest, ctx: CallContext): CodeSignInCommand {
  return {
    client: clientOf(req, ctx),
    ip: ctx.clientIp,
    deviceId: deviceOf(req.device_id, ctx),
    verificationId: req.verification_id,
    code: req.verification_code,
    userType: req.user_type,
  };
}

export function tokenBody(t: IssuedTokens): TokenResponse {
  return {
    token_type: t.tokenType,
    access_token: t.accessToken,
    refresh_token: t.refreshToken || undefined,
    id_token: t.idToken || undefined,
    expires_in: t.expiresIn,
    scope: t.scope,
    sub: t.sub,
    groups: t.groups,
    need_weda_resource: false,
    issued_token_type: t.issuedTokenType,
  };
}

export function introspectCommand(req: IntrospectRequest, ctx: CallContext): IntrospectCommand {
  return { token: req.token, tokenTypeHint: req.token_type_hint, client: clientOf(req, ctx), ip: ctx.clientIp };
}

/** RFC 7662 2.2: an inactive token is `{"active": false}` and nothing else (unset optionals are omitted). */
export function introspectionBody(i: Introspection): IntrospectResponse {
  if (!i.active) return { active: false };
  return {
    active: true,
    scope: i.scope,
    client_id: i.clientId,
    username: i.username,
    token_type: i.tokenType,
    exp: i.exp,
    iat: i.iat,
    sub: i.sub,
    aud: i.aud,
    iss: i.iss,
    jti: i.jti,
    sid: i.sid,
    act: i.act,
  };
}
