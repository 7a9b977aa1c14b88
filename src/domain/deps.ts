import type { Logger } from 'pino';
import type { SharedStores, Storage } from './ports.js';
import type { AuditLog } from './audit.js';
import type { CodeSender } from './senders.js';
import type { Lockout } from './defence/lockout.js';
import type { RateLimiter } from './defence/ratelimit.js';
import type { Config } from '../config.js';
import type { KeyRing } from './keys/signing-keys.js';
import type { TransportKeyRing } from './keys/transport-keys.js';
import type { PasswordHasher } from './accounts/passwords.js';
import type { Directory } from './accounts/directory.js';
import type { Clock } from './clock.js';

/** The part of the configuration the domain reads (deps.settings); see src/config.ts for each. */
export const DOMAIN_SETTINGS = [
  'issuer',
  'refreshGraceSeconds',
  'sudoTtlSeconds',
  'authorizationCodeTtlSeconds',
  'deviceCodeTtlSeconds',
  'deviceCodeIntervalSeconds',
  'ssoTtlSeconds',
  'accessTokenTtl',
  'refreshTokenTtl',
  'maxSessions',
  'anonymousTtlSeconds',
  'defence',
  'codes',
] as const satisfies readonly (keyof Config)[];

export type DomainSettings = Pick<Config, (typeof DOMAIN_SETTINGS)[number]>;

/** Everything the domain needs, handed in once at start-up. */
export interface Deps {
  storage: Storage;
  /** Short-lived shared state, one port per purpose (lockout, codes, captchas, revocations, replays). */
  stores: SharedStores;
  sender: CodeSender;
  lockout: Lockout;
  limiter: RateLimiter;
  audit: AuditLog;
  /** Keys the codes and captcha answers are hashed with (HMAC), derived from the key-encryption key. */
  hmacKey: Buffer;
  keys: KeyRing;
  /** RSA keys clients encrypt passwords with (GetPublicKey, encrypted sign-in). */
  transportKeys: TransportKeyRing;
  hasher: PasswordHasher;
  directory: Directory;
  settings: DomainSettings;
  log: Logger;
  /** The only clock the domain reads (see clock.ts). */
  clock: Clock;
  /** clock.now() as a Date. */
  now(): Date;
}

/** The longest access/id token lifetime a client may have: retired keys stay published this long. */
export const MAX_TOKEN_TTL_SECONDS = 86400;
