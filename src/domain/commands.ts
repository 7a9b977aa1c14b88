// What the transports hand the domain: plain camelCase commands, whichever dialect (gRPC, REST,
// HZERO) carried the request. Transports build them in named functions (src/transport/auth-in.ts)
// after checking the text at the line (line.ts); no proto message crosses into the domain.
import type { Locale } from './model.js';

/** The client as the request names it: fields, query or HTTP Basic, already reconciled. */
export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** What every sign-in and token request carries besides its own fields. */
export interface RequestOrigin {
  client: ClientCredentials;
  /** The client's IP, for rate limits and the audit trail. */
  ip: string;
  /** The request's device id (body or x-device-id), '' when none. */
  deviceId: string;
}

/** An identifier as typed: one of username, email or phoneNumber; loginField pins how username reads. */
export interface IdentifierInput {
  username?: string;
  email?: string;
  phoneNumber?: string;
  loginField?: string;
}

export interface CaptchaProof {
  /** A captcha token from VerifyCaptcha. */
  token?: string;
  /** HZERO style: the challenge id and the answer read from the image. */
  key?: string;
  answer?: string;
}

/**
 * How a password arrives. `field`: a password field, which the client's password_encryption
 * says how to read (as typed, or an RSA ciphertext of it). `params`: CloudBase's encrypted
 * sign-in, RSA blocks of the JSON {identifier, password}.
 */
export type PasswordInput = { kind: 'field'; value: string } | { kind: 'params'; params: string; thumbprint: string };

/** SignIn: a password, or a verification token instead of one. */
export interface SignInCommand extends RequestOrigin {
  identifier: IdentifierInput;
  password: string;
  verificationToken: string;
  userType: string;
  scope: string;
  sourceType: string;
  captcha: CaptchaProof;
}

/** CloudBase's encrypted sign-in (POST /auth/v2/signin/username). */
export interface EncryptedSignInCommand extends RequestOrigin {
  params: string;
  thumbprint: string;
  /** Plain credentials, for an SDK not asked to encrypt: used only when params is empty. */
  username: string;
  password: string;
  userType: string;
  sourceType: string;
  captcha: CaptchaProof;
}

/** CloudBase's v2 code sign-in (POST /auth/v2/signin/verificationcode): the code itself signs in. */
export interface CodeSignInCommand extends RequestOrigin {
  verificationId: string;
  code: string;
  userType: string;
}

/** The token endpoint, for every grant. Fields a grant does not use are ''. */
export interface TokenCommand extends RequestOrigin {
  grantType: string;
  scope: string;
  refreshToken: string;
  identifier: IdentifierInput;
  password: string;
  userType: string;
  sourceType: string;
  verificationToken: string;
  captcha: CaptchaProof;
  /** The SMS grant: the phone, the code received and the id of its sending. */
  phone: string;
  code: string;
  codeId: string;
  /** The authorization code grant: the code, the redirect URI it was issued for, the PKCE verifier. */
  authorizationCode?: string;
  redirectUri?: string;
  codeVerifier?: string;
  /** The device authorization grant (RFC 8628): the device code. */
  deviceCode?: string;
  /** Token exchange (RFC 8693); absent for the other grants. */
  exchange?: TokenExchangeInput;
}

/** The RFC 8693 fields of a token request, as sent ('' for none). */
export interface TokenExchangeInput {
  subjectToken: string;
  subjectTokenType: string;
  requestedTokenType: string;
  audience: string;
  resource: string;
  actorToken: string;
  actorTokenType: string;
}

/**
 * A call that names its client by id (fields, query or Basic) or, once a user is signed in, only
 * by the access token it carries (all the CloudBase SDK sends then).
 */
export interface ClientCall {
  client: ClientCredentials;
  /** The bearer access token presented, '' for none. */
  accessToken: string;
  ip: string;
}

export interface GetCaptchaCommand extends ClientCall {
  /** The flow the captcha is for (CloudBase names it after the route, e.g. "POST:/v1/signin"). */
  state: string;
}

export interface SendVerificationCommand extends ClientCall {
  phoneNumber: string;
  email: string;
  target: string;
  usage: string;
  userType: string;
  captchaToken: string;
  locale: Locale;
}

export interface SignInOptionsCommand extends ClientCall {
  username: string;
  channel: string;
  userType: string;
}

/** Token introspection (RFC 7662): the token asked about and the resource server asking. */
export interface IntrospectCommand {
  token: string;
  /** "access_token" or "refresh_token"; a hint only (the token's form tells them apart). */
  tokenTypeHint: string;
  client: ClientCredentials;
  ip: string;
}

/** An authorization request made by the signed-in user (bearer token) for a client of the tenant. */
export interface AuthorizeCommand {
  /** The bearer access token presented, '' for none. */
  accessToken: string;
  ip: string;
  /** The client the code is for. */
  clientId: string;
  responseType: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string;
  codeChallengeMethod: string;
  nonce: string;
}

/** A device asks for a device code and a user code (RFC 8628 3.1). */
export interface DeviceAuthorizationCommand {
  client: ClientCredentials;
  ip: string;
  scope: string;
}

/** The signed-in user approves or denies the device showing userCode. */
export interface AuthorizeDeviceCommand {
  /** The bearer access token presented, '' for none. */
  accessToken: string;
  ip: string;
  userCode: string;
  /** '' or 'approve', or 'deny'. */
  action: string;
}
