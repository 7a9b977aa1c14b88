// Measurement records: what one load run yields (LoadResult), how it is reported (Figure), and the
// config descriptions every figure carries.
import type { Window } from './profile.js';
import { ARGON2, CONNECTIONS, DURATION_S, GRPC_CHANNELS, RATE_LIMIT_HIGH, RATE_LIMITS, WARMUP_S, round } from './env.js';

/**
 * CPU in cores (1.0 = one core busy) of the server child, this (load generator) process,
 * PostgreSQL + Redis, and everything else on the machine; `other` well above 0 means the figure
 * was taken on a busy machine and is noisy.
 */
export type CpuCores = {
  server: number | null;
  server_main_thread: number | null;
  loadgen: number;
  postgres_redis: number | null;
  other: number | null;
  steal: number | null;
};

/** Machine load from others before a measurement (see machine.ts waitQuiet). */
export interface QuietState {
  waited_s: number;
  busy_cores: number | null;
  quiet: boolean;
}

export interface LoadResult {
  ok: number;
  errors: number;
  latencies: number[];
  codes: Record<string, number>;
  durationS: number;
  firstError?: string;
  cpu?: CpuCores;
  /** The measured window on the monotonic clock, in microseconds (to cut the CPU profile). */
  window?: { fromUs: number; toUs: number };
}

export interface Figure {
  rate_per_s: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  ok: number;
  errors: number;
  total: number;
  error_rate: number | null;
  duration_s: number;
  /** HTTP status or gRPC status name -> count (connection errors and timeouts included). */
  codes: Record<string, number>;
  first_error?: string;
  /** See CpuCores. */
  cpu_cores?: CpuCores;
  warmup?: { ok: number; errors: number };
  /** Refresh chains: responses that did not carry a new refresh token (the chain then replays). */
  chain_breaks?: number;
  /** CPU ms per successful operation: server child, PostgreSQL + Redis, load generator. */
  cpu_ms_per_ok?: ReturnType<typeof cpuPerOk>;
  /** When a noisy figure was measured twice: both attempts (the kept one is the figure). */
  attempts?: Array<Record<string, unknown>>;
  /** Machine load from others before the run, and whether it ran on a busy machine. */
  machine?: { before: QuietState; noisy: boolean };
  preflight?: unknown;
  /** Brute-force figures: server child CPU per answer (every expected answer is a success here). */
  server_cpu_ms_per_answer?: number | null;
  /** Locked-account figure: how the accounts were locked before the measurement. */
  locking?: Record<string, unknown>;
  config: Record<string, unknown>;
}

export interface Skipped {
  skipped: string;
  config?: Record<string, unknown>;
}

export const monoUs = () => Number(process.hrtime.bigint() / 1000n);
/** Each figure's measured window, and the windows the CPU profile summary is cut into. */
export const windowOf = new WeakMap<Figure, { fromUs: number; toUs: number }>();
export const profileWindows: Window[] = [];

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/**
 * CPU milliseconds spent per successful operation by each party: far steadier than rates on a
 * shared machine, since other people's work slows us down but does not change our cost.
 */
export function cpuPerOk(r: LoadResult) {
  const per = (cores: number | null | undefined) =>
    cores === null || cores === undefined || r.ok === 0 ? null : round((cores * r.durationS * 1000) / r.ok, 3);
  return {
    server: per(r.cpu?.server),
    server_main_thread: per(r.cpu?.server_main_thread),
    postgres_redis: per(r.cpu?.postgres_redis),
    loadgen: per(r.cpu?.loadgen),
  };
}

export function figure(r: LoadResult, config: Record<string, unknown>, extra: Partial<Figure> = {}): Figure {
  const lat = r.latencies.sort((a, b) => a - b);
  const total = r.ok + r.errors;
  const f: Figure = {
    rate_per_s: round(r.ok / r.durationS, 1),
    p50_ms: round(percentile(lat, 50) ?? NaN),
    p99_ms: round(percentile(lat, 99) ?? NaN),
    ok: r.ok,
    errors: r.errors,
    total,
    error_rate: total > 0 ? round(r.errors / total, 4) : null,
    duration_s: round(r.durationS, 2) ?? 0,
    codes: r.codes,
    ...(r.firstError ? { first_error: r.firstError } : {}),
    ...(r.cpu ? { cpu_cores: r.cpu, cpu_ms_per_ok: cpuPerOk(r) } : {}),
    ...extra,
    config,
  };
  if (r.window) windowOf.set(f, r.window);
  return f;
}

export const isFigure = (x: unknown): x is Figure => !!x && typeof (x as Figure).ok === 'number';

// ---------------------------------------------------------------------------------------------
// Config descriptions

/** How the Signet child runs (set once the runtime is chosen, see build.ts). */
export const serverRuntime = { description: 'Signet child process, PostgreSQL + Redis' };

export const restCfg = (extra: Record<string, unknown>, durationS = DURATION_S) => ({
  transport: 'REST (HTTP/1.1 keep-alive)',
  load_generator: 'autocannon 9 (programmatic), pipelining 1',
  connections: CONNECTIONS,
  warmup_s: WARMUP_S,
  duration_s: durationS,
  ...extra,
});

export const grpcCfg = (extra: Record<string, unknown>) => ({
  transport: 'gRPC (grpc-js, HTTP/2)',
  load_generator: `closed loop, ${CONNECTIONS} in-flight calls over ${GRPC_CHANNELS} channels (local subchannel pools)`,
  concurrency: CONNECTIONS,
  channels: GRPC_CHANNELS,
  warmup_s: WARMUP_S,
  duration_s: DURATION_S,
  ...extra,
});

export const serverCfg = () => ({
  server: serverRuntime.description,
  argon2: { memory_kib: ARGON2.memoryCost, iterations: ARGON2.timeCost, parallelism: ARGON2.parallelism },
  signing_alg: 'ES256 (default)',
  rate_limits:
    RATE_LIMITS === 'off' ? 'off (BENCH_RATE_LIMITS=off)' : `on, per IP and per client raised to ${RATE_LIMIT_HIGH}/min (checks still run)`,
  ip_failure_thresholds: `on, captcha and block thresholds raised to ${RATE_LIMIT_HIGH} (all load comes from 127.0.0.1; the per-IP failure count is still read and written)`,
});
