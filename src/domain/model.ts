// Domain records. Storage adapters map their rows to these; transports map them to proto messages.

export type TenantStatus = 'enabled' | 'disabled';
export type ClientStatus = 'enabled' | 'disabled';
export type ClientType = 'confidential' | 'public';
export type UserType = 'P' | 'C';
export type UserStatus = 'active' | 'pending' | 'blocked';
export type LoginField = 'username' | 'email' | 'phone';
export type GrantType = 'password' | 'refresh_token' | 'client_credentials';

export type SecondFactor = 'off' | 'always' | 'new_device';

/**
 * How a client's password sign-ins carry the password (src/domain/signin/encrypted-password.ts):
 * `none` as given; `rsa` RSA-encrypted with the transport key when it is base64 of one key-sized
 * block, else as given; `required` RSA-encrypted only.
 */
export type PasswordEncryption = 'none' | 'rsa' | 'required';
export const PASSWORD_ENCRYPTIONS: readonly PasswordEncryption[] = ['none', 'rsa', 'required'];

/** A tenant's sign-in rules; unset fields take the defaults of defence/policy.ts. */
export interface TenantPolicy {
  /** Answer invalid_password rather than not_found for an unknown user. */
  hideUnknownUsers?: boolean;
  lockoutEnabled?: boolean;
  maxFailedAttempts?: number;
  lockSeconds?: number;
  captchaAfterFailures?: number;
  alwaysCaptcha?: boolean;
  secondFactor?: SecondFactor;
  /** False: a new web sign-in revokes the user's other web sessions on that client. */
  allowMultipleLoginWeb?: boolean;
  /** False: a new app sign-in revokes the user's other app sessions on that client. */
  allowMultipleLoginApp?: boolean;
  /** Third-party login ways a login page offers; replaced as a whole. */
  openLoginWays?: OpenLoginWay[];
  /** People may create their own accounts (default false). */
  signUpEnabled?: boolean;
  /** Which identifiers sign-up accepts (default all three). */
  signUpMethods?: LoginField[];
  /** SignInAnonymously creates anonymous users (default false). */
  anonymousSignIn?: boolean;
  /** Password policy (domain/accounts/password-policy.ts holds the defaults). */
  passwordMinLength?: number;
  passwordMaxLength?: number;
  passwordRequiredClasses?: PasswordClass[];
  passwordRejectIdentifiers?: boolean;
  passwordRejectCommon?: boolean;
  /** The hosted login page's look (accounts/branding.ts; "" = the default): its title. */
  displayName?: string;
  /** https (http on localhost) or a base64 data:image URI. */
  logoUrl?: string;
  /** #rrggbb, lowercase. */
  primaryColor?: string;
}

export type PasswordClass = 'lower' | 'upper' | 'digit' | 'symbol';
export const PASSWORD_CLASSES: readonly PasswordClass[] = ['lower', 'upper', 'digit', 'symbol'];

/** A third-party login a tenant offers (shown by the sign-in options; Signet does not run it). */
export interface OpenLoginWay {
  appCode: string;
  appName: string;
  appImage: string;
  /** "web", "app" or "" (both). */
  channel: string;
  authorizeUrl: string;
}

export interface Tenant {
  id: string;
  name: string;
  status: TenantStatus;
  policy: TenantPolicy;
  createdAt: Date;
  updatedAt: Date;
}

export interface Client {
  id: string;
  tenantId: string;
  name: string;
  type: ClientType;
  /** SHA-256 (hex) of the secret: secrets are 256-bit random, so a fast hash is enough. */
  secretHash: string | null;
  grantTypes: string[];
  scopes: string[];
  accessTokenTtl: number;
  refreshTokenTtl: number;
  maxSessions: number;
  status: ClientStatus;
  passwordEncryption: PasswordEncryption;
  /** Refuse an encrypted password whose ciphertext was seen before. */
  rejectReplayedPasswords: boolean;
  /** False closes sign-up and anonymous sign-in here whatever the tenant allows. */
  signUpEnabled: boolean;
  /** Where the authorization code grant may send codes (absolute URLs, compared exactly). */
  redirectUris: string[];
  /** The tenant's own application: a consent page may skip asking for it. */
  firstParty: boolean;
  /** A custom sign-in ticket naming an unknown user id creates that user (signin/ticket.ts). */
  customTicketSignUp: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface User {
  id: string;
  tenantId: string;
  userType: UserType;
  username: string | null;
  email: string | null;
  emailVerified: boolean;
  phoneNumber: string | null;
  phoneVerified: boolean;
  name: string | null;
  picture: string | null;
  gender: string | null;
  locale: string | null;
  /** No identifier yet; `expiresAt` is when it is purged unless upgraded. */
  anonymous: boolean;
  passwordHash: string | null;
  status: UserStatus;
  expiresAt: Date | null;
  groups: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface Session {
  id: string;
  tenantId: string;
  userId: string;
  clientId: string;
  deviceId: string;
  /** "web", "app" or "" (unspecified). */
  channel: string;
  scope: string;
  /**
   * When the user authenticated (the id_token's auth_time): the start, or earlier when the
   * session came from another (an authorization code, a device approval). Refreshes keep it.
   */
  authTime: Date;
  /** How the user authenticated (the id_token's amr, RFC 8176 values); [] for an anonymous user. */
  amr: string[];
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokeReason: string | null;
}

/** What a user let a client do: the scopes granted so far, each once, in the order first granted. */
export interface Consent {
  tenantId: string;
  userId: string;
  clientId: string;
  scope: string[];
  /** When the user first consented. */
  createdAt: Date;
  /** When the consent last grew (or was granted again). */
  updatedAt: Date;
}

export interface RefreshToken {
  /** SHA-256 (hex) of the opaque token; the token itself is never stored. */
  hash: string;
  sessionId: string;
  createdAt: Date;
  expiresAt: Date;
  rotatedAt: Date | null;
  /**
   * The pair issued when this token was rotated, encrypted under a key derived from this token,
   * so that a concurrent refresh in the grace window can be answered with the same pair and
   * nobody without the old token can read it.
   */
  successor: string | null;
}

export type SigningKeyStatus = 'active' | 'retired';

export interface SigningKey {
  kid: string;
  alg: string;
  status: SigningKeyStatus;
  /** PKCS#8 PEM, encrypted with the key-encryption key (see domain/crypto/seal). */
  privateKeySealed: string;
  publicJwk: Record<string, string>;
  createdAt: Date;
  /** When a retired key stops being published (its last token has expired). */
  retireAt: Date | null;
}

export type TransportKeyStatus = 'active' | 'retired';

/** An RSA key pair that clients encrypt passwords with (see domain/keys/transport-keys.ts). */
export interface TransportKey {
  /** base64url SHA-256 of the SubjectPublicKeyInfo DER: the key's name in requests. */
  thumbprint: string;
  bits: number;
  status: TransportKeyStatus;
  /** PKCS#8 PEM, encrypted with the key-encryption key. */
  privateKeySealed: string;
  /** SubjectPublicKeyInfo PEM, as GetPublicKey publishes it. */
  publicKeyPem: string;
  createdAt: Date;
  /** When a retired key stops decrypting (the end of its grace period). */
  retireAt: Date | null;
}

/** The algorithms a custom sign-in ticket may be signed with, one per kind of key. */
export type TicketKeyAlg = 'RS256' | 'ES256' | 'EdDSA';
export const TICKET_KEY_ALGS: readonly TicketKeyAlg[] = ['RS256', 'ES256', 'EdDSA'];

/** A public key a client's backend signs custom sign-in tickets with (see domain/keys/ticket-keys.ts). */
export interface TicketKey {
  clientId: string;
  /** Unique per client; a ticket names its key by it. */
  kid: string;
  alg: TicketKeyAlg;
  /** The public key only (kty and its parameters). */
  publicJwk: Record<string, string>;
  createdAt: Date;
}

export interface PageRequest {
  pageSize: number;
  pageToken: string;
}

export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

/** The languages Signet speaks to people in (code messages, error texts). */
export type Locale = 'zh-CN' | 'en';
