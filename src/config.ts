// The one place that reads the environment. Everything else receives a Config. Each setting is
// declared once below; the Config type, the validation and the README's table
// (`npm run docs:config`) all follow from the declaration.
import { z } from 'zod';

/** Parsed values by variable name; what a default computed from other settings reads. */
export type ParsedEnv = Readonly<Record<string, unknown>>;
type Derived<T> = (env: ParsedEnv) => T;

export class Setting<T = unknown> {
  /** Only carries T to the Config type; never set. */
  declare readonly value: T;

  constructor(
    readonly env: string,
    /** Validates and converts the variable's text. */
    readonly schema: z.ZodType,
    readonly defaultValue: T | Derived<T> | undefined,
    readonly doc: string,
    readonly whenUnset: string | undefined,
  ) {}

  /** The schema as the environment is validated with: an unset variable takes its default. */
  get field(): z.ZodType {
    return this.defaultValue === undefined || typeof this.defaultValue === 'function'
      ? this.schema.optional()
      : this.schema.default(this.defaultValue as never);
  }
}

interface Spec<S extends z.ZodType> {
  env: string;
  schema: S;
  /** One line of markdown: the README's description. */
  doc: string;
  /** The README's default column where the default is not a plain value (computed, generated, a fallback). */
  whenUnset?: string;
}

function setting<S extends z.ZodType>(spec: Spec<S> & { default: z.output<S> | Derived<z.output<S>> }): Setting<z.output<S>>;
function setting<S extends z.ZodType>(spec: Spec<S>): Setting<z.output<S> | undefined>;
function setting(spec: Spec<z.ZodType> & { default?: unknown }): Setting {
  return new Setting(spec.env, spec.schema, spec.default, spec.doc, spec.whenUnset);
}

/** Settings, and sections of settings (Config's nested objects). */
interface Section {
  readonly [key: string]: Setting | Section;
}

type ValueOf<N> = N extends Setting<infer T> ? T : N extends Section ? Values<N> : never;
type Flat<T> = { [K in keyof T]: T[K] };
type OptionalKeys<S> = { [K in keyof S]: undefined extends ValueOf<S[K]> ? K : never }[keyof S];

/** The configuration a declaration yields: a setting without a default is an optional key. */
type Values<S extends Section> = Flat<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: ValueOf<S[K]> } & { [K in OptionalKeys<S>]?: ValueOf<S[K]> }
>;

function settingsOf(section: Section): Setting[] {
  return Object.values(section).flatMap((n) => (n instanceof Setting ? [n] : settingsOf(n)));
}

/** Puts the validated variables into the declaration's shape. */
function valuesOf<S extends Section>(section: S, env: ParsedEnv): Values<S> {
  const build = (sec: Section): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(sec).map(([key, n]) => {
        if (!(n instanceof Setting)) return [key, build(n)];
        const v = env[n.env];
        return [key, v === undefined && typeof n.defaultValue === 'function' ? (n.defaultValue as Derived<unknown>)(env) : v];
      }),
    );
  return build(section) as Values<S>;
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no', '']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min = 0, max = 2 ** 31 - 1) => z.coerce.number().int().min(min).max(max);
const port = int(0, 65535);
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

function defaultIssuer(httpPort: unknown): string {
  return `http://localhost:${httpPort}`;
}

/** Every variable Signet reads. Declaration order is the README's order. */
export const SETTINGS = {
  dataDir: setting({
    env: 'SIGNET_DATA_DIR',
    schema: z.string(),
    default: './data',
    doc: 'embedded database, generated key-encryption key and admin token',
  }),
  databaseUrl: setting({
    env: 'DATABASE_URL',
    schema: z.string(),
    whenUnset: 'unset → embedded PGlite',
    doc: '`postgresql://…` (`?schema=` honoured)',
  }),
  redisUrl: setting({
    env: 'REDIS_URL',
    schema: z.string(),
    whenUnset: 'unset → in-process store',
    doc: '`redis://`, `rediss://`, `redis+cluster://h1:p1,h2:p2`, `redis+sentinel://s1:p1,s2:p2/mastername`',
  }),
  dependencyTimeoutMs: setting({
    env: 'SIGNET_DEPENDENCY_TIMEOUT_MS',
    schema: int(100, 60000),
    default: 2000,
    doc: 'a new PostgreSQL connection, or a Redis command, taking longer fails the request as `unavailable` (503, retry)',
  }),
  host: setting({ env: 'SIGNET_HOST', schema: z.string(), default: '0.0.0.0', doc: 'address of the public listeners' }),
  grpcPort: setting({ env: 'SIGNET_GRPC_PORT', schema: port, default: 50051, doc: 'gRPC `AuthService`' }),
  httpPort: setting({ env: 'SIGNET_HTTP_PORT', schema: port, default: 8080, doc: 'REST' }),
  adminHost: setting({ env: 'SIGNET_ADMIN_HOST', schema: z.string(), default: '127.0.0.1', doc: 'address of the admin listeners' }),
  adminPort: setting({ env: 'SIGNET_ADMIN_PORT', schema: port, default: 50052, doc: 'gRPC `AdminService`' }),
  adminHttpPort: setting({ env: 'SIGNET_ADMIN_HTTP_PORT', schema: port, default: 8081, doc: 'REST `/admin/v1/…`' }),
  // Unset, secrets-files.ts generates one into the data directory.
  adminToken: setting({
    env: 'SIGNET_ADMIN_TOKEN',
    schema: z.string().min(16),
    whenUnset: 'generated into `<data>/admin-token` (0600)',
    doc: 'bearer token of the admin API (≥ 16 chars)',
  }),
  issuer: setting({
    env: 'SIGNET_ISSUER',
    schema: z.string().url(),
    default: (e) => defaultIssuer(e.SIGNET_HTTP_PORT),
    whenUnset: '`http://localhost:<SIGNET_HTTP_PORT>`',
    doc: "`iss` of tokens, base of discovery URLs; the same public URL on every instance (instances sharing Redis refuse each other's tokens otherwise)",
  }),
  keyEncryptionKey: setting({
    env: 'SIGNET_KEY_ENCRYPTION_KEY',
    schema: z.string(),
    whenUnset: 'generated into `<data>/master.key`',
    doc: 'base64 of 32 bytes; must be the same on every instance',
  }),
  signingAlg: setting({
    env: 'SIGNET_SIGNING_ALG',
    schema: z.enum(['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA']),
    default: 'ES256',
    doc: '`ES256`, `ES384`, `RS256`, `PS256`, `EdDSA`',
  }),
  /** RSA keys clients encrypt passwords with. */
  transportKeys: {
    bits: setting({
      env: 'SIGNET_TRANSPORT_KEY_BITS',
      schema: int(2048, 8192).refine((b) => b % 8 === 0, 'must be a multiple of 8'),
      default: 2048,
      doc: 'size of new RSA transport keys (2048–8192), which clients encrypt passwords with',
    }),
    // Long enough for a page that fetched the public key just before a rotation to still sign in.
    graceSeconds: setting({
      env: 'SIGNET_TRANSPORT_KEY_GRACE_SECONDS',
      schema: int(60, 2592000),
      default: 86400,
      doc: 'how long a rotated-out transport key still decrypts (60–2592000); replayed ciphertexts are remembered twice as long',
    }),
  },
  argon2: {
    memoryCost: setting({ env: 'SIGNET_ARGON2_MEMORY_KIB', schema: int(1024), default: 19456, doc: 'argon2id memory (KiB)' }),
    timeCost: setting({ env: 'SIGNET_ARGON2_ITERATIONS', schema: int(1), default: 2, doc: 'argon2id time cost' }),
    parallelism: setting({ env: 'SIGNET_ARGON2_PARALLELISM', schema: int(1, 16), default: 1, doc: 'argon2id lanes' }),
  },
  // The three below are what a client created without explicit values gets.
  accessTokenTtl: setting({
    env: 'SIGNET_ACCESS_TOKEN_TTL',
    schema: int(60, 86400),
    default: 7200,
    doc: 'default access token lifetime of new clients (s, 60–86400)',
  }),
  refreshTokenTtl: setting({
    env: 'SIGNET_REFRESH_TOKEN_TTL',
    schema: int(3600, 31536000),
    default: 2592000,
    doc: 'default session lifetime of new clients (s)',
  }),
  maxSessions: setting({
    env: 'SIGNET_MAX_SESSIONS',
    schema: int(1, 100),
    default: 10,
    doc: 'default sessions per user of new clients (1–100)',
  }),
  // A refresh of an already-rotated token within this window gets the same new pair, so that
  // two tabs refreshing at once do not sign each other out.
  refreshGraceSeconds: setting({
    env: 'SIGNET_REFRESH_GRACE_SECONDS',
    schema: int(0, 300),
    default: 10,
    doc: 'concurrent-refresh window (0–300)',
  }),
  // Authorization codes are redeemed by the client's back end a moment after they are issued;
  // RFC 6749 4.1.2 recommends at most ten minutes.
  authorizationCodeTtlSeconds: setting({
    env: 'SIGNET_AUTHORIZATION_CODE_TTL_SECONDS',
    schema: int(10, 600),
    default: 60,
    doc: 'life of an authorization code (10–600)',
  }),
  // The device authorization grant (RFC 8628): how long a device code waits for the user, and
  // the pause between its polls (RFC 8628 3.2 suggests 5 s; slow_down adds 5 s each time).
  deviceCodeTtlSeconds: setting({
    env: 'SIGNET_DEVICE_CODE_TTL_SECONDS',
    schema: int(60, 1800),
    default: 600,
    doc: 'life of a device code and its user code (60–1800)',
  }),
  // The hosted login page's sign-in cookie (single sign-on across a tenant's clients). At most a
  // day: the cookie is signed with the token keys, and a retired key stays published that long.
  ssoTtlSeconds: setting({
    env: 'SIGNET_SSO_TTL_SECONDS',
    schema: int(300, 86400),
    default: 28800,
    doc: 'how long a sign-in at the hosted login page lasts for single sign-on (300–86400)',
  }),
  deviceCodeIntervalSeconds: setting({
    env: 'SIGNET_DEVICE_CODE_INTERVAL_SECONDS',
    schema: int(1, 60),
    default: 5,
    doc: 'seconds a device waits between polls of the token endpoint (1–60)',
  }),
  sudoTtlSeconds: setting({
    env: 'SIGNET_SUDO_TTL_SECONDS',
    schema: int(10, 3600),
    default: 300,
    doc: 'life of a sudo token (re-authentication before a password or contact change, or deletion)',
  }),
  // Never upgraded by sign-up, an anonymous user is purged this long after it was created.
  anonymousTtlSeconds: setting({
    env: 'SIGNET_ANONYMOUS_TTL_SECONDS',
    schema: int(3600, 31536000),
    default: 2592000,
    doc: 'lifetime of an anonymous user not upgraded by sign-up (s; 3600–31536000)',
  }),
  trustedProxies: setting({
    env: 'SIGNET_TRUSTED_PROXIES',
    schema: list,
    default: [],
    doc: 'comma-separated IPs/CIDRs whose `x-forwarded-for` is believed',
  }),
  corsOrigins: setting({ env: 'SIGNET_CORS_ORIGINS', schema: list, default: ['*'], doc: 'comma-separated allowed origins' }),
  bodyLimitBytes: setting({
    env: 'SIGNET_BODY_LIMIT_BYTES',
    schema: int(1024),
    default: 65536,
    doc: 'largest REST body, and gRPC message',
  }),
  defaultLocale: setting({
    env: 'SIGNET_DEFAULT_LOCALE',
    schema: z.enum(['zh-CN', 'en']),
    default: 'zh-CN',
    doc: 'message language without `accept-language` (`zh-CN`, `en`)',
  }),
  logLevel: setting({
    env: 'SIGNET_LOG_LEVEL',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    doc: 'pino level',
  }),
  shutdownDelayMs: setting({
    env: 'SIGNET_SHUTDOWN_DELAY_MS',
    schema: int(),
    default: 0,
    doc: 'on SIGTERM, how long readiness says "draining" while calls are still accepted (time for load balancers to notice)',
  }),
  shutdownGraceMs: setting({
    env: 'SIGNET_SHUTDOWN_GRACE_MS',
    schema: int(),
    default: 10000,
    doc: 'then how long calls in flight may take before their connections are cut',
  }),
  /** Rate limits and per-IP failure thresholds; 0 switches a limit off. */
  defence: {
    ipPerMinute: setting({
      env: 'SIGNET_RATE_LIMIT_IP_PER_MINUTE',
      schema: int(),
      default: 600,
      doc: 'sign-in/token/verification requests per client IP per minute (0 = off)',
    }),
    clientPerMinute: setting({
      env: 'SIGNET_RATE_LIMIT_CLIENT_PER_MINUTE',
      schema: int(),
      default: 60000,
      doc: 'the same per client id (0 = off)',
    }),
    ipFailuresCaptcha: setting({
      env: 'SIGNET_IP_FAILURES_CAPTCHA',
      schema: int(),
      default: 10,
      doc: 'failed sign-ins from one IP in the window after which a captcha is needed (0 = off)',
    }),
    ipFailuresBlock: setting({
      env: 'SIGNET_IP_FAILURES_BLOCK',
      schema: int(),
      default: 100,
      doc: '… after which the IP is refused (0 = off)',
    }),
    ipFailureWindowSeconds: setting({
      env: 'SIGNET_IP_FAILURE_WINDOW_SECONDS',
      schema: int(60),
      default: 900,
      doc: 'window of the per-IP failure count',
    }),
    captchaTtlSeconds: setting({
      env: 'SIGNET_CAPTCHA_TTL_SECONDS',
      schema: int(30, 3600),
      default: 300,
      doc: 'life of a captcha image and of a captcha token',
    }),
  },
  /** Verification codes (SMS, e-mail). */
  codes: {
    ttlSeconds: setting({ env: 'SIGNET_CODE_TTL_SECONDS', schema: int(60, 3600), default: 300, doc: 'life of a verification code' }),
    resendSeconds: setting({
      env: 'SIGNET_CODE_RESEND_SECONDS',
      schema: int(0, 3600),
      default: 60,
      doc: 'one code per destination per this many seconds',
    }),
    dailyLimit: setting({ env: 'SIGNET_CODE_DAILY_LIMIT', schema: int(1), default: 10, doc: 'codes per destination per day' }),
    maxAttempts: setting({ env: 'SIGNET_CODE_MAX_ATTEMPTS', schema: int(1, 20), default: 5, doc: 'wrong codes that burn a code' }),
  },
  // loadConfig refuses webhook without both the URL and the secret.
  sender: {
    kind: setting({ env: 'SIGNET_CODE_SENDER', schema: z.enum(['log', 'webhook']), default: 'log', doc: '`log` or `webhook`' }),
    webhookUrl: setting({ env: 'SIGNET_CODE_WEBHOOK_URL', schema: z.string().url(), doc: 'webhook sender: where to POST' }),
    webhookSecret: setting({ env: 'SIGNET_CODE_WEBHOOK_SECRET', schema: z.string().min(16), doc: 'webhook sender: HMAC key (≥ 16 chars)' }),
  },
  auditRetentionDays: setting({
    env: 'SIGNET_AUDIT_RETENTION_DAYS',
    schema: int(1),
    default: 90,
    doc: 'audit events are deleted after this',
  }),
  auditBacklogMax: setting({
    env: 'SIGNET_AUDIT_BACKLOG_MAX',
    schema: int(1000),
    default: 50000,
    doc: 'audit events kept in memory while the database is away (retried until written); past it new events are dropped, logged and counted',
  }),
  /** What bootstrap.ts creates at start when missing; each line adds to the one above. */
  bootstrap: {
    tenant: setting({ env: 'SIGNET_BOOTSTRAP_TENANT', schema: z.string(), doc: 'create this tenant at start if missing (containers)' }),
    clientId: setting({ env: 'SIGNET_BOOTSTRAP_CLIENT_ID', schema: z.string(), doc: '… and this client in it' }),
    // Not checked here: the client's own validation (admin.createClient) refuses a short one.
    clientSecret: setting({
      env: 'SIGNET_BOOTSTRAP_CLIENT_SECRET',
      schema: z.string(),
      whenUnset: 'generated and printed once',
      doc: '… with this secret (≥ 16 chars)',
    }),
    clientPublic: setting({ env: 'SIGNET_BOOTSTRAP_CLIENT_PUBLIC', schema: bool, default: false, doc: '… as a public client' }),
    username: setting({ env: 'SIGNET_BOOTSTRAP_USERNAME', schema: z.string(), doc: '… and this user (type `P`)' }),
    password: setting({ env: 'SIGNET_BOOTSTRAP_PASSWORD', schema: z.string(), doc: '… with this password' }),
  },
};

export type Config = Values<typeof SETTINGS>;
/** Rate limits and per-IP failure thresholds; 0 switches a limit off. */
export type DefenceSettings = Config['defence'];
export type CodeSettings = Config['codes'];

/** Every setting in declaration order: what scripts/config-doc.ts writes into the README. */
export const ALL_SETTINGS = settingsOf(SETTINGS);

/** Keyed by variable name, so that an error names the variable. */
export const configSchema = z.object(Object.fromEntries(ALL_SETTINGS.map((s) => [s.env, s.field])));

export class ConfigError extends Error {}

/**
 * Instances sharing Redis share sessions and refresh tokens, and each refuses tokens whose `iss`
 * is not its own; the default issuer names the instance's own port, and is wrong for a client anyway.
 */
export function sharedIssuerWarning(config: Config): string | undefined {
  if (!config.redisUrl || config.issuer !== defaultIssuer(config.httpPort)) return undefined;
  return (
    `SIGNET_ISSUER is not set, so the issuer is ${config.issuer}: instances that share Redis must all be given ` +
    'the same SIGNET_ISSUER (the public URL clients use), or tokens minted by one are refused by the others'
  );
}

/** Parses and validates; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, string> = {};
  for (const { env: key } of ALL_SETTINGS) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const config = valuesOf(SETTINGS, parsed.data);
  const { sender } = config;
  if (sender.kind === 'webhook' && (!sender.webhookUrl || !sender.webhookSecret)) {
    throw new ConfigError(
      'invalid configuration:\n  SIGNET_CODE_SENDER=webhook needs SIGNET_CODE_WEBHOOK_URL and SIGNET_CODE_WEBHOOK_SECRET',
    );
  }
  return config;
}
