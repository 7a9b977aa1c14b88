// Configuration of one bench run: the knobs read from the environment (listed in run.ts), the
// names this run gives its schema, keys and secrets, the run clock and the progress log.
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export const env = process.env;
export const num = (v: string | undefined, def: number) => (v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : def);

export const PG_URL = env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const CONNECTIONS = num(env.BENCH_CONNECTIONS, 32);
export const DURATION_S = num(env.BENCH_DURATION_S, 7);
export const WARMUP_S = num(env.BENCH_WARMUP_S, 1);
export const ARGON2_S = num(env.BENCH_ARGON2_S, 5);
/** Measured seconds of the brute-force figures (wrong passwords, locked accounts). */
export const FIGURE_S = num(env.BENCH_FIGURE_S, 5);
/** Measured seconds of the policy-overhead comparison (its three sides run at the same time). */
export const POLICY_S = num(env.BENCH_POLICY_S, 30);
export const GRPC_CHANNELS = num(env.BENCH_GRPC_CHANNELS, 4);
export const BUDGET_S = num(env.BENCH_BUDGET_S, 250);
export const CPU_PROF = env.BENCH_CPU_PROF === '1' || env.BENCH_CPU_PROF === 'true';
/** `tsx` runs the Signet child from the TypeScript sources instead of compiling it first. */
export const SERVER_RUNTIME = env.BENCH_SERVER_RUNTIME === 'tsx' ? 'tsx' : 'compiled';

export const PHASES = [
  'argon2',
  'signin',
  'signup',
  'refresh',
  'client_credentials',
  'introspect',
  'pages',
  'lockout',
  'policy',
  'oidc',
] as const;
export type Phase = (typeof PHASES)[number];
export const ONLY = new Set(
  (env.BENCH_ONLY ?? PHASES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
export const want = (p: Phase) => ONLY.has(p);
export const needsSignet = () =>
  want('signin') ||
  want('signup') ||
  want('refresh') ||
  want('client_credentials') ||
  want('introspect') ||
  want('pages') ||
  want('lockout') ||
  want('policy');

export const RATE_LIMITS = env.BENCH_RATE_LIMITS === 'off' ? 'off' : 'on';
export const RATE_LIMIT_HIGH = 2_000_000_000;
export const ARGON2 = {
  memoryCost: num(env.SIGNET_ARGON2_MEMORY_KIB, 19456),
  timeCost: num(env.SIGNET_ARGON2_ITERATIONS, 2),
  parallelism: num(env.SIGNET_ARGON2_PARALLELISM, 1),
};
export const UV_THREADPOOL_SIZE = num(env.UV_THREADPOOL_SIZE, 4);
export const ARGON2_CONCURRENCY = num(env.BENCH_ARGON2_CONCURRENCY, Math.max(UV_THREADPOOL_SIZE, cpus().length));

export const RUN_ID = randomBytes(4).toString('hex');
export const SCHEMA = `bench_${RUN_ID}`;
export const KEY_PREFIX = `bench:${RUN_ID}:`;
export const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
/** One key-encryption key for every Signet child of the run: they share the signing keys. */
export const KEY_ENCRYPTION_KEY = randomBytes(32).toString('base64');
export const TENANT = 'bench';
export const PASSWORD = 'correct horse battery staple';
export const WRONG_PASSWORD = 'not the password';
export const MAX_SESSIONS = 100;
export const OIDC_CLIENT_SECRET = `bench-oidc-${randomBytes(12).toString('hex')}`;

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..');
const STARTED = performance.now();
export const elapsedS = () => (performance.now() - STARTED) / 1000;
export const budgetLeft = () => BUDGET_S - elapsedS();
export const log = (msg: string) => process.stderr.write(`[bench ${elapsedS().toFixed(1).padStart(6)}s] ${msg}\n`);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const round = (x: number, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
