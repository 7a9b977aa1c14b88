// The one place that reads the environment. Everything else receives a Config.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (def: number, min = 0, max = 2 ** 31 - 1) => z.coerce.number().int().min(min).max(max).default(def);
const list = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** Every variable Signet reads, with its default. The README's table is written from this. */
export const configSchema = z.object({
  SIGNET_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().optional(),
  REDIS_URL: z.string().optional(),
  SIGNET_HOST: z.string().default('0.0.0.0'),
  SIGNET_GRPC_PORT: int(50051, 0, 65535),
  SIGNET_HTTP_PORT: int(8080, 0, 65535),
  SIGNET_ADMIN_HOST: z.string().default('127.0.0.1'),
  SIGNET_ADMIN_PORT: int(50052, 0, 65535),
  SIGNET_ADMIN_HTTP_PORT: int(8081, 0, 65535),
  SIGNET_ADMIN_TOKEN: z.string().min(16).optional(),
  SIGNET_ISSUER: z.string().url().optional(),
  SIGNET_KEY_ENCRYPTION_KEY: z.string().optional(),
  SIGNET_SIGNING_ALG: z.enum(['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA']).default('ES256'),
  SIGNET_TRANSPORT_KEY_BITS: int(2048, 2048, 8192).refine((b) => b % 8 === 0, 'must be a multiple of 8'),
  SIGNET_TRANSPORT_KEY_GRACE_SECONDS: int(86400, 60, 2592000),
  SIGNET_ARGON2_MEMORY_KIB: int(19456, 1024),
  SIGNET_ARGON2_ITERATIONS: int(2, 1),
  SIGNET_ARGON2_PARALLELISM: int(1, 1, 16),
  SIGNET_ACCESS_TOKEN_TTL: int(7200, 60, 86400),
  SIGNET_REFRESH_TOKEN_TTL: int(2592000, 3600, 31536000),
  SIGNET_MAX_SESSIONS: int(10, 1, 100),
  SIGNET_REFRESH_GRACE_SECONDS: int(10, 0, 300),
  SIGNET_TRUSTED_PROXIES: list.default([]),
  SIGNET_CORS_ORIGINS: list.default(['*']),
  SIGNET_BODY_LIMIT_BYTES: int(65536, 1024),
  SIGNET_DEFAULT_LOCALE: z.enum(['zh-CN', 'en']).default('zh-CN'),
  SIGNET_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SIGNET_SHUTDOWN_GRACE_MS: int(10000, 0),
  SIGNET_RATE_LIMIT_IP_PER_MINUTE: int(600, 0),
  SIGNET_RATE_LIMIT_CLIENT_PER_MINUTE: int(60000, 0),
  SIGNET_IP_FAILURES_CAPTCHA: int(10, 0),
  SIGNET_IP_FAILURES_BLOCK: int(100, 0),
  SIGNET_IP_FAILURE_WINDOW_SECONDS: int(900, 60),
  SIGNET_CAPTCHA_TTL_SECONDS: int(300, 30, 3600),
  SIGNET_CODE_TTL_SECONDS: int(300, 60, 3600),
  SIGNET_CODE_RESEND_SECONDS: int(60, 0, 3600),
  SIGNET_CODE_DAILY_LIMIT: int(10, 1),
  SIGNET_CODE_MAX_ATTEMPTS: int(5, 1, 20),
  SIGNET_CODE_SENDER: z.enum(['log', 'webhook']).default('log'),
  SIGNET_CODE_WEBHOOK_URL: z.string().url().optional(),
  SIGNET_CODE_WEBHOOK_SECRET: z.string().min(16).optional(),
  SIGNET_AUDIT_RETENTION_DAYS: int(90, 1),
  SIGNET_BOOTSTRAP_TENANT: z.string().optional(),
  SIGNET_BOOTSTRAP_CLIENT_ID: z.string().optional(),
  SIGNET_BOOTSTRAP_CLIENT_SECRET: z.string().optional(),
  SIGNET_BOOTSTRAP_CLIENT_PUBLIC: bool.default(false),
  SIGNET_BOOTSTRAP_USERNAME: z.string().optional(),
  SIGNET_BOOTSTRAP_PASSWORD: z.string().optional(),
});

export type Env = z.input<typeof configSchema>;

export interface Config {
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  host: string;
  grpcPort: number;
  httpPort: number;
  adminHost: string;
  adminPort: number;
  adminHttpPort: number;
  adminToken?: string;
  /** Defaults to http://localhost:<httpPort>. */
  issuer: string;
  keyEncryptionKey?: string;
  signingAlg: 'ES256' | 'ES384' | 'RS256' | 'PS256' | 'EdDSA';
  /** RSA keys clients encrypt passwords with: size of new keys, and how long a retired one still decrypts. */
  transportKeys: { bits: number; graceSeconds: number };
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  accessTokenTtl: number;
  refreshTokenTtl: number;
  maxSessions: number;
  refreshGraceSeconds: number;
  trustedProxies: string[];
  corsOrigins: string[];
  bodyLimitBytes: number;
  defaultLocale: 'zh-CN' | 'en';
  logLevel: string;
  shutdownGraceMs: number;
  defence: DefenceSettings;
  codes: CodeSettings;
  sender: { kind: 'log' | 'webhook'; webhookUrl?: string; webhookSecret?: string };
  auditRetentionDays: number;
  bootstrap: {
    tenant?: string;
    clientId?: string;
    clientSecret?: string;
    clientPublic: boolean;
    username?: string;
    password?: string;
  };
}

/** Rate limits and per-IP failure thresholds; 0 switches a limit off. */
export interface DefenceSettings {
  ipPerMinute: number;
  clientPerMinute: number;
  ipFailuresCaptcha: number;
  ipFailuresBlock: number;
  ipFailureWindowSeconds: number;
  captchaTtlSeconds: number;
}

export interface CodeSettings {
  ttlSeconds: number;
  resendSeconds: number;
  dailyLimit: number;
  maxAttempts: number;
}

export class ConfigError extends Error {}

/** Parses and validates; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.SIGNET_CODE_SENDER === 'webhook' && (!e.SIGNET_CODE_WEBHOOK_URL || !e.SIGNET_CODE_WEBHOOK_SECRET)) {
    throw new ConfigError('invalid configuration:\n  SIGNET_CODE_SENDER=webhook needs SIGNET_CODE_WEBHOOK_URL and SIGNET_CODE_WEBHOOK_SECRET');
  }
  return {
    dataDir: e.SIGNET_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    host: e.SIGNET_HOST,
    grpcPort: e.SIGNET_GRPC_PORT,
    httpPort: e.SIGNET_HTTP_PORT,
    adminHost: e.SIGNET_ADMIN_HOST,
    adminPort: e.SIGNET_ADMIN_PORT,
    adminHttpPort: e.SIGNET_ADMIN_HTTP_PORT,
    adminToken: e.SIGNET_ADMIN_TOKEN,
    issuer: e.SIGNET_ISSUER ?? `http://localhost:${e.SIGNET_HTTP_PORT}`,
    keyEncryptionKey: e.SIGNET_KEY_ENCRYPTION_KEY,
    signingAlg: e.SIGNET_SIGNING_ALG,
    transportKeys: { bits: e.SIGNET_TRANSPORT_KEY_BITS, graceSeconds: e.SIGNET_TRANSPORT_KEY_GRACE_SECONDS },
    argon2: {
      memoryCost: e.SIGNET_ARGON2_MEMORY_KIB,
      timeCost: e.SIGNET_ARGON2_ITERATIONS,
      parallelism: e.SIGNET_ARGON2_PARALLELISM,
    },
    accessTokenTtl: e.SIGNET_ACCESS_TOKEN_TTL,
    refreshTokenTtl: e.SIGNET_REFRESH_TOKEN_TTL,
    maxSessions: e.SIGNET_MAX_SESSIONS,
    refreshGraceSeconds: e.SIGNET_REFRESH_GRACE_SECONDS,
    trustedProxies: e.SIGNET_TRUSTED_PROXIES,
    corsOrigins: e.SIGNET_CORS_ORIGINS,
    bodyLimitBytes: e.SIGNET_BODY_LIMIT_BYTES,
    defaultLocale: e.SIGNET_DEFAULT_LOCALE,
    logLevel: e.SIGNET_LOG_LEVEL,
    shutdownGraceMs: e.SIGNET_SHUTDOWN_GRACE_MS,
    defence: {
      ipPerMinute: e.SIGNET_RATE_LIMIT_IP_PER_MINUTE,
      clientPerMinute: e.SIGNET_RATE_LIMIT_CLIENT_PER_MINUTE,
      ipFailuresCaptcha: e.SIGNET_IP_FAILURES_CAPTCHA,
      ipFailuresBlock: e.SIGNET_IP_FAILURES_BLOCK,
      ipFailureWindowSeconds: e.SIGNET_IP_FAILURE_WINDOW_SECONDS,
      captchaTtlSeconds: e.SIGNET_CAPTCHA_TTL_SECONDS,
    },
    codes: {
      ttlSeconds: e.SIGNET_CODE_TTL_SECONDS,
      resendSeconds: e.SIGNET_CODE_RESEND_SECONDS,
      dailyLimit: e.SIGNET_CODE_DAILY_LIMIT,
      maxAttempts: e.SIGNET_CODE_MAX_ATTEMPTS,
    },
    sender: { kind: e.SIGNET_CODE_SENDER, webhookUrl: e.SIGNET_CODE_WEBHOOK_URL, webhookSecret: e.SIGNET_CODE_WEBHOOK_SECRET },
    auditRetentionDays: e.SIGNET_AUDIT_RETENTION_DAYS,
    bootstrap: {
      tenant: e.SIGNET_BOOTSTRAP_TENANT,
      clientId: e.SIGNET_BOOTSTRAP_CLIENT_ID,
      clientSecret: e.SIGNET_BOOTSTRAP_CLIENT_SECRET,
      clientPublic: e.SIGNET_BOOTSTRAP_CLIENT_PUBLIC,
      username: e.SIGNET_BOOTSTRAP_USERNAME,
      password: e.SIGNET_BOOTSTRAP_PASSWORD,
    },
  };
}
