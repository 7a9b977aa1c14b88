// `npm run bench`: throughput and latency of Signet over real gRPC and real HTTP on this machine,
// against PostgreSQL and Redis, next to the two things that bound it — the raw argon2id verify rate
// (sign-in) and node-oidc-provider 9 issuing ES256 JWTs (client_credentials) — measured with the
// same load generator in the same run. Every server under test runs in its own child process; the
// load generators run here. Prints ONE JSON document on stdout; progress goes to stderr.
//
// Knobs (environment): BENCH_CONNECTIONS (32), BENCH_DURATION_S (7), BENCH_WARMUP_S (1),
// BENCH_ARGON2_S (5), BENCH_GRPC_CHANNELS (4), BENCH_ONLY (comma list of phases: argon2, signin,
// refresh, client_credentials, oidc), BENCH_CPU_PROF=1 (profile the Signet child, summary in the
// JSON), BENCH_BUDGET_S (225: phases that would not fit are skipped), BENCH_RATE_LIMITS=off (the
// request rate limits are otherwise on, raised out of reach), DATABASE_URL, REDIS_URL,
// SIGNET_ARGON2_MEMORY_KIB / _ITERATIONS / _PARALLELISM (the parameters measured, server and ceiling).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { Algorithm, hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { AuthServiceClient } from '../src/gen/signet/auth/v1/auth_service.js';
import { SignInRequest, TokenRequest, type TokenResponse } from '../src/gen/signet/auth/v1/token.js';
import { summarizeProfile, type ProfileSummary, type Window } from './profile.js';

// ---------------------------------------------------------------------------------------------
// Configuration

const env = process.env;
const num = (v: string | undefined, def: number) => (v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : def);

const PG_URL = env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = num(env.BENCH_CONNECTIONS, 32);
const DURATION_S = num(env.BENCH_DURATION_S, 7);
const WARMUP_S = num(env.BENCH_WARMUP_S, 1);
const ARGON2_S = num(env.BENCH_ARGON2_S, 5);
const GRPC_CHANNELS = num(env.BENCH_GRPC_CHANNELS, 4);
const BUDGET_S = num(env.BENCH_BUDGET_S, 225);
const CPU_PROF = env.BENCH_CPU_PROF === '1' || env.BENCH_CPU_PROF === 'true';
const PHASES = ['argon2', 'signin', 'refresh', 'client_credentials', 'oidc'] as const;
type Phase = (typeof PHASES)[number];
const ONLY = new Set((env.BENCH_ONLY ?? PHASES.join(',')).split(',').map((s) => s.trim()).filter(Boolean));
const want = (p: Phase) => ONLY.has(p);

const RATE_LIMITS = env.BENCH_RATE_LIMITS === 'off' ? 'off' : 'on';
const RATE_LIMIT_HIGH = 2_000_000_000;
const ARGON2 = {
  memoryCost: num(env.SIGNET_ARGON2_MEMORY_KIB, 19456),
  timeCost: num(env.SIGNET_ARGON2_ITERATIONS, 2),
  parallelism: num(env.SIGNET_ARGON2_PARALLELISM, 1),
};
const UV_THREADPOOL_SIZE = num(env.UV_THREADPOOL_SIZE, 4);
const ARGON2_CONCURRENCY = num(env.BENCH_ARGON2_CONCURRENCY, Math.max(UV_THREADPOOL_SIZE, cpus().length));

const RUN_ID = randomBytes(4).toString('hex');
const SCHEMA = `bench_${RUN_ID}`;
const KEY_PREFIX = `bench:${RUN_ID}:`;
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
const TENANT = 'bench';
const PASSWORD = 'correct horse battery staple';
const MAX_SESSIONS = 100;
const OIDC_CLIENT_SECRET = `bench-oidc-${randomBytes(12).toString('hex')}`;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const STARTED = performance.now();
const elapsedS = () => (performance.now() - STARTED) / 1000;
const log = (msg: string) => process.stderr.write(`[bench ${elapsedS().toFixed(1).padStart(6)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round = (x: number, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

// ---------------------------------------------------------------------------------------------
// Measurement records

interface Figure {
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
  /**
   * CPU in cores (1.0 = one core busy) of the server child, this (load generator) process,
   * PostgreSQL + Redis, and everything else on the machine; `other` well above 0 means the figure
   * was taken on a busy machine and is noisy.
   */
  cpu_cores?: CpuCores;
  warmup?: { ok: number; errors: number };
  /** Refresh chains: responses that did not carry a new refresh token (the chain then replays). */
  chain_breaks?: number;
  /** CPU ms per successful operation: server child, PostgreSQL + Redis, load generator. */
  cpu_ms_per_ok?: ReturnType<typeof cpuPerOk>;
  /** Machine load from others before the run, and whether it ran on a busy machine. */
  machine?: { before: Awaited<ReturnType<typeof waitQuiet>>; noisy: boolean };
  preflight?: unknown;
  config: Record<string, unknown>;
}

interface Skipped {
  skipped: string;
  config?: Record<string, unknown>;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/**
 * CPU milliseconds spent per successful operation by each party: far steadier than rates on a
 * shared machine, since other people's work slows us down but does not change our cost.
 */
function cpuPerOk(r: LoadResult) {
  const per = (cores: number | null | undefined) => (cores === null || cores === undefined || r.ok === 0 ? null : round((cores * r.durationS * 1000) / r.ok, 3));
  return { server: per(r.cpu?.server), server_main_thread: per(r.cpu?.server_main_thread), postgres_redis: per(r.cpu?.postgres_redis), loadgen: per(r.cpu?.loadgen) };
}

function figure(r: LoadResult, config: Record<string, unknown>, extra: Partial<Figure> = {}): Figure {
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

interface LoadResult {
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

const monoUs = () => Number(process.hrtime.bigint() / 1000n);
const windowOf = new WeakMap<Figure, { fromUs: number; toUs: number }>();
const profileWindows: Window[] = [];

type CpuCores = { server: number | null; server_main_thread: number | null; loadgen: number; postgres_redis: number | null; other: number | null; steal: number | null };

// ---------------------------------------------------------------------------------------------
// CPU and memory of child processes (/proc)

const CLK_TCK = 100;
function procCpuSeconds(pid: number | undefined, mainThreadOnly = false): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3); utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

function procStatusKb(pid: number | undefined, key: 'VmRSS' | 'VmHWM'): number | null {
  if (!pid) return null;
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** CPU seconds of every process whose command name is one of `names` (PostgreSQL backends, Redis). */
function namedCpuSeconds(names: Set<string>): Map<number, number> {
  const m = new Map<number, number>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return m;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!names.has(comm)) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      m.set(Number(pid), (Number(f[11]) + Number(f[12])) / CLK_TCK);
    } catch {
      // gone
    }
  }
  return m;
}

/** Whole-machine CPU from /proc/stat: busy and steal seconds. */
function machineCpu(): { busy: number; steal: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
    const busy = v[0] + v[1] + v[2] + v[5] + v[6];
    return { busy: busy / CLK_TCK, steal: (v[7] ?? 0) / CLK_TCK };
  } catch {
    return null;
  }
}

const BACKENDS = new Set(['postgres', 'redis-server']);

const QUIET_CORES = num(env.BENCH_QUIET_CORES, 0.3);
const QUIET_WAIT_S = num(env.BENCH_QUIET_WAIT_S, 10);
/**
 * This machine is shared (other people's test runs): before a measurement, wait (bounded) for a
 * 1 s window in which the whole machine uses < QUIET_CORES cores while our servers sit idle.
 */
async function waitQuiet(label: string): Promise<{ waited_s: number; busy_cores: number | null; quiet: boolean }> {
  const t0 = performance.now();
  let busy: number | null = null;
  for (;;) {
    const a = machineCpu();
    await sleep(1000);
    const b = machineCpu();
    busy = a && b ? round(b.busy - a.busy) : null;
    const waited = round((performance.now() - t0) / 1000, 1) ?? 0;
    if (busy === null || busy < QUIET_CORES) return { waited_s: waited, busy_cores: busy, quiet: true };
    if (waited >= QUIET_WAIT_S || budgetLeft() < 60) {
      log(`${label}: machine still busy (${busy} cores used by others), measuring anyway`);
      return { waited_s: waited, busy_cores: busy, quiet: false };
    }
  }
}

/**
 * Measures CPU over an interval, in cores: the server child, this process (load generator),
 * PostgreSQL + Redis, everything else on the machine (other work that makes the figure noisy),
 * and hypervisor steal.
 */
function cpuMeter(pid: number | undefined) {
  const t0 = performance.now();
  const s0 = procCpuSeconds(pid);
  const t0main = procCpuSeconds(pid, true);
  const l0 = process.cpuUsage();
  const b0 = namedCpuSeconds(BACKENDS);
  const m0 = machineCpu();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const s1 = procCpuSeconds(pid);
    const t1main = procCpuSeconds(pid, true);
    const l = process.cpuUsage(l0);
    const b1 = namedCpuSeconds(BACKENDS);
    const m1 = machineCpu();
    let backends = 0;
    for (const [p, sec] of b1) backends += sec - (b0.get(p) ?? 0);
    const server = s0 !== null && s1 !== null ? (s1 - s0) / wall : null;
    const loadgen = (l.user + l.system) / 1e6 / wall;
    const db = backends / wall;
    const machine = m0 && m1 ? (m1.busy - m0.busy) / wall : null;
    return {
      server: round(server ?? NaN),
      // The event loop thread alone; the rest of `server` is libuv's pool (argon2, WebCrypto
      // jobs) and V8's helper threads (GC).
      server_main_thread: t0main !== null && t1main !== null ? round((t1main - t0main) / wall) : null,
      loadgen: round(loadgen) ?? 0,
      postgres_redis: round(db),
      other: machine !== null ? round(Math.max(0, machine - (server ?? 0) - loadgen - db)) : null,
      steal: m0 && m1 ? round((m1.steal - m0.steal) / wall) : null,
    };
  };
}

class RssSampler {
  maxKb = 0;
  byPhase: Record<string, number> = {};
  private phase = 'startup';
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly pid: number) {}
  start() {
    this.timer = setInterval(() => this.sample(), 200);
    this.timer.unref();
  }
  setPhase(p: string) {
    this.sample();
    this.phase = p;
  }
  sample() {
    const kb = procStatusKb(this.pid, 'VmRSS');
    if (kb === null) return;
    this.maxKb = Math.max(this.maxKb, kb);
    this.byPhase[this.phase] = Math.max(this.byPhase[this.phase] ?? 0, kb);
  }
  stop() {
    if (this.timer) clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface Child {
  proc: ChildProcess;
  pid: number;
  ready: Record<string, any>;
  exited: Promise<number | null>;
}

const children = new Set<Child>();

async function spawnServer(script: string, childEnv: NodeJS.ProcessEnv, label: string, nodeArgs: string[] = []): Promise<Child> {
  // `node --import tsx` rather than the tsx CLI, so that the pid we watch is the server itself.
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(HERE, script)], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let stderrTail = '';
  proc.stderr!.on('data', (d: Buffer) => {
    const s = d.toString();
    stderrTail = (stderrTail + s).slice(-4000);
    for (const line of s.split('\n')) if (line.trim()) process.stderr.write(`  [${label}] ${line.slice(0, 400)}\n`);
  });
  const rl = createInterface({ input: proc.stdout! });
  const ready = await new Promise<Record<string, any>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: not ready after 90 s\n${stderrTail}`)), 90_000);
    rl.on('line', (line) => {
      if (line.startsWith('BENCH_READY ')) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('BENCH_READY '.length)));
      } else if (line.trim()) {
        process.stderr.write(`  [${label}:stdout] ${line.slice(0, 400)}\n`);
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code} before it was ready\n${stderrTail}`));
    });
  });
  const child: Child = { proc, pid: ready.pid ?? proc.pid!, ready, exited };
  children.add(child);
  return child;
}

async function stopChild(c: Child | undefined): Promise<number | null> {
  if (!c) return null;
  children.delete(c);
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return c.proc.exitCode;
  c.proc.kill('SIGTERM');
  const code = await Promise.race([c.exited, sleep(8000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    c.proc.kill('SIGKILL');
    return c.exited;
  }
  return code;
}

// ---------------------------------------------------------------------------------------------
// Generic closed loop (argon2, gRPC): `workers` callers, each issuing its next call as soon as the
// previous one completes, until the window closes. A call that completes after the window is not
// counted (as autocannon does for REST).

type OpResult = { ok: true } | { ok: false; code: string; detail?: string };

async function closedLoop(workers: number, durationS: number, op: (worker: number) => Promise<OpResult>, pid?: number): Promise<LoadResult> {
  const r: LoadResult = { ok: 0, errors: 0, latencies: [], codes: {}, durationS };
  const cpu = cpuMeter(pid);
  const fromUs = monoUs();
  const start = performance.now();
  const end = start + durationS * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        let res: OpResult;
        try {
          res = await op(w);
        } catch (err) {
          res = { ok: false, code: 'EXCEPTION', detail: String(err) };
        }
        const t1 = performance.now();
        if (t1 > end) break;
        r.latencies.push(t1 - t0);
        const code = res.ok ? 'OK' : res.code;
        r.codes[code] = (r.codes[code] ?? 0) + 1;
        if (res.ok) r.ok++;
        else {
          r.errors++;
          r.firstError ??= `${res.code}: ${res.detail ?? ''}`.slice(0, 400);
        }
      }
    }),
  );
  r.cpu = cpu();
  r.window = { fromUs, toUs: fromUs + durationS * 1e6 };
  return r;
}

// ---------------------------------------------------------------------------------------------
// REST load: autocannon, one request at a time per connection (no pipelining).

interface RestRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Per-connection dynamic request (refresh chains): returns the body to send next. */
  nextBody?: () => string;
  onResponse?: (status: number, body: string) => void;
}

async function restLoad(
  base: string,
  durationS: number,
  connections: number,
  requestFor: (connection: number) => RestRequest,
  pid?: number,
): Promise<LoadResult & { autocannon: Record<string, unknown> }> {
  const r: LoadResult = { ok: 0, errors: 0, latencies: [], codes: {}, durationS };
  let index = 0;
  const cpu = cpuMeter(pid);
  const fromUs = monoUs();
  const result: any = await new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: base,
        connections,
        pipelining: 1,
        duration: durationS,
        timeout: 10,
        // Each connection gets its own request (and closure state) in setupClient.
        requests: [{ method: 'GET', path: '/' }],
        setupClient(client: any) {
          const spec = requestFor(index++);
          client.setRequests([
            {
              method: spec.method,
              path: spec.path,
              headers: spec.headers,
              body: spec.nextBody ? spec.nextBody() : spec.body,
              ...(spec.nextBody ? { setupRequest: (req: any) => ({ ...req, body: spec.nextBody!() }) } : {}),
              onResponse: (status: number, body: string) => {
                if ((status < 200 || status > 299) && !r.firstError) r.firstError = `HTTP ${status}: ${String(body).slice(0, 400)}`;
                spec.onResponse?.(status, body);
              },
            },
          ]);
          client.on('response', (status: number, _bytes: number, ms: number) => {
            r.latencies.push(ms);
            r.codes[status] = (r.codes[status] ?? 0) + 1;
            if (status >= 200 && status <= 299) r.ok++;
            else r.errors++;
          });
        },
      },
      (err: Error | null, res: any) => (err ? reject(err) : resolve(res)),
    );
    void inst;
  });
  r.cpu = cpu();
  r.window = { fromUs, toUs: monoUs() };
  // Connection errors and timeouts produce no response: count them as errors too.
  const connErrors = (result.errors ?? 0) - (result.timeouts ?? 0);
  if (connErrors > 0) {
    r.codes.connection_error = connErrors;
    r.errors += connErrors;
    r.firstError ??= 'connection error';
  }
  if (result.timeouts > 0) {
    r.codes.timeout = result.timeouts;
    r.errors += result.timeouts;
    r.firstError ??= 'request timeout (10 s)';
  }
  r.durationS = result.duration || durationS;
  return {
    ...r,
    autocannon: {
      requests_per_s_avg: result.requests?.average,
      '2xx': result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      latency_p50_ms: result.latency?.p50,
      latency_p99_ms: result.latency?.p99,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers for seeding and pre-flight checks

async function httpJson(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) {
  const res = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body });
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, body, text };
}

function jwtHeader(token: unknown): Record<string, unknown> | null {
  if (typeof token !== 'string') return null;
  try {
    return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

function describeToken(status: number, body: any) {
  const at = body?.access_token;
  return {
    status,
    ok: status === 200 && typeof at === 'string' && at.length > 0,
    access_token_alg: jwtHeader(at)?.alg ?? null,
    access_token_bytes: typeof at === 'string' ? at.length : null,
    has_refresh_token: typeof body?.refresh_token === 'string' && body.refresh_token.length > 0,
    ...(status !== 200 ? { body: JSON.stringify(body).slice(0, 400) } : {}),
  };
}

async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// gRPC helpers

function grpcUnary<Req>(client: AuthServiceClient, method: 'signIn' | 'token', req: Req, md?: grpc.Metadata): Promise<{ err: grpc.ServiceError | null; res?: TokenResponse }> {
  return new Promise((resolve) => {
    (client as any)[method](req, md ?? new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: TokenResponse) =>
      resolve({ err, res }),
    );
  });
}

const grpcCode = (err: grpc.ServiceError) => grpc.status[err.code] ?? String(err.code);

async function grpcClients(port: number, n: number): Promise<AuthServiceClient[]> {
  const clients = Array.from(
    { length: n },
    (_, i) =>
      new AuthServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        // A private subchannel pool per client: n separate HTTP/2 connections, not one shared.
        'grpc.use_local_subchannel_pool': 1,
        'grpc.primary_user_agent': `signet-bench/${i}`,
      }),
  );
  await Promise.all(clients.map((c) => new Promise<void>((res, rej) => c.waitForReady(Date.now() + 10_000, (e) => (e ? rej(e) : res())))));
  return clients;
}

// ---------------------------------------------------------------------------------------------
// Phases

const out: Record<string, unknown> = {};
const targets: Record<string, { target: string; value: unknown; met: boolean | null; note?: string }> = {};
const budgetLeft = () => BUDGET_S - elapsedS();

/** Waits for a quiet machine, runs the measurement, and records how noisy it was. */
async function measured(label: string, fn: () => Promise<Figure>): Promise<Figure> {
  const before = await waitQuiet(label);
  const f = await fn();
  const w = windowOf.get(f);
  if (w) profileWindows.push({ name: label, ...w });
  const other = f.cpu_cores?.other ?? null;
  f.machine = { before, noisy: !before.quiet || (other !== null && other > QUIET_CORES) };
  return f;
}

function fits(phase: string, seconds: number): boolean {
  if (budgetLeft() >= seconds) return true;
  log(`skipping ${phase}: ${budgetLeft().toFixed(0)} s left of the ${BUDGET_S} s budget, needs ~${seconds} s`);
  return false;
}

async function argon2Ceiling(): Promise<Figure> {
  log(`argon2id verify ceiling: m=${ARGON2.memoryCost} KiB t=${ARGON2.timeCost} p=${ARGON2.parallelism}, concurrency ${ARGON2_CONCURRENCY}, ${ARGON2_S} s`);
  const stored = await argonHash(PASSWORD, { algorithm: Algorithm.Argon2id, ...ARGON2 });
  const op = async (): Promise<OpResult> => ((await argonVerify(stored, PASSWORD)) ? { ok: true } : { ok: false, code: 'MISMATCH' });
  const warm = await closedLoop(ARGON2_CONCURRENCY, WARMUP_S, op);
  const r = await closedLoop(ARGON2_CONCURRENCY, ARGON2_S, op);
  return figure(r, {
    library: '@node-rs/argon2 verify',
    algorithm: 'argon2id',
    memory_kib: ARGON2.memoryCost,
    iterations: ARGON2.timeCost,
    parallelism: ARGON2.parallelism,
    concurrency: ARGON2_CONCURRENCY,
    uv_threadpool_size: UV_THREADPOOL_SIZE,
    cpus: cpus().length,
    warmup_s: WARMUP_S,
    duration_s: ARGON2_S,
    process: 'bench parent (nothing else running)',
  }, { warmup: { ok: warm.ok, errors: warm.errors } });
}

interface Signet {
  child: Child;
  http: string;
  admin: string;
  grpcPort: number;
}

async function startSignetChild(dataDir: string, profDir: string | undefined): Promise<Signet> {
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('SIGNET_') || k.startsWith('BENCH_') || k === 'DATABASE_URL' || k === 'REDIS_URL') continue;
    childEnv[k] = v;
  }
  Object.assign(childEnv, {
    DATABASE_URL: PG_URL,
    REDIS_URL,
    BENCH_SCHEMA: SCHEMA,
    BENCH_KEY_PREFIX: KEY_PREFIX,
    SIGNET_DATA_DIR: dataDir,
    SIGNET_HOST: '127.0.0.1',
    SIGNET_ADMIN_HOST: '127.0.0.1',
    SIGNET_GRPC_PORT: '0',
    SIGNET_HTTP_PORT: '0',
    SIGNET_ADMIN_PORT: '0',
    SIGNET_ADMIN_HTTP_PORT: '0',
    SIGNET_ADMIN_TOKEN: ADMIN_TOKEN,
    SIGNET_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SIGNET_ISSUER: 'http://signet.bench',
    SIGNET_LOG_LEVEL: 'warn',
    SIGNET_SHUTDOWN_GRACE_MS: '1000',
    SIGNET_ARGON2_MEMORY_KIB: String(ARGON2.memoryCost),
    SIGNET_ARGON2_ITERATIONS: String(ARGON2.timeCost),
    SIGNET_ARGON2_PARALLELISM: String(ARGON2.parallelism),
    // All load comes from one IP and one client: raise the request rate limits out of reach but
    // keep them on (their Redis INCRs are part of every sign-in and token request). BENCH_RATE_LIMITS=off
    // measures without them.
    SIGNET_RATE_LIMIT_IP_PER_MINUTE: RATE_LIMITS === 'off' ? '0' : String(RATE_LIMIT_HIGH),
    SIGNET_RATE_LIMIT_CLIENT_PER_MINUTE: RATE_LIMITS === 'off' ? '0' : String(RATE_LIMIT_HIGH),
  });
  const nodeArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const child = await spawnServer('signet-server.ts', childEnv, 'signet', nodeArgs);
  const p = child.ready.ports;
  return { child, http: `http://127.0.0.1:${p.http}`, admin: `http://127.0.0.1:${p.adminHttp}`, grpcPort: p.grpc };
}

async function admin(s: Signet, p: string, body: unknown) {
  const r = await httpJson(s.admin + p, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 200) throw new Error(`admin ${p} -> ${r.status}: ${r.text.slice(0, 500)}`);
  return r.body;
}

interface Seed {
  svcSecret: string;
  basic: string;
}

async function seed(s: Signet): Promise<Seed> {
  await admin(s, '/admin/v1/tenants', { tenant_id: TENANT, name: 'Bench' });
  await admin(s, '/admin/v1/clients', {
    client_id: 'web', tenant_id: TENANT, public: true, grant_types: ['password', 'refresh_token'],
    scopes: ['openid', 'user'], max_sessions: MAX_SESSIONS,
  });
  const svc = await admin(s, '/admin/v1/clients', {
    client_id: 'svc', tenant_id: TENANT, public: false, grant_types: ['client_credentials'], scopes: ['orders.read'],
  });
  const svcSecret = svc.client_secret as string;
  if (!svcSecret) throw new Error(`no client_secret in ${JSON.stringify(svc)}`);
  await pool(Array.from({ length: CONNECTIONS }, (_, i) => signinUser(i)), 4, (u) => createUser(s, u));
  return { svcSecret, basic: `Basic ${Buffer.from(`svc:${svcSecret}`).toString('base64')}` };
}

const signinUser = (i: number) => `bench-signin-${i % CONNECTIONS}`;

async function createUser(s: Signet, username: string) {
  await admin(s, '/admin/v1/users', { tenant_id: TENANT, username, password: PASSWORD, name: username });
}

/**
 * Sign-ins of one account are kept one at a time: concurrent attempts on one account count
 * against its lockout and captcha thresholds (a real deployment's load is many users, not one
 * user 32 times), so every connection signs in its own user and chain sessions are created per
 * user in sequence.
 */
const CHAINS_PER_USER = 8;

/** Refresh-token chains: one session each (distinct x-device-id), CHAINS_PER_USER per user. */
async function makeChains(s: Signet, label: string, n: number): Promise<Array<{ token: string }>> {
  const users = Array.from({ length: Math.ceil(n / CHAINS_PER_USER) }, (_, k) => `bench-${label}-${k}`);
  await pool(users, 4, (u) => createUser(s, u));
  const chains: Array<{ token: string }> = new Array(n);
  await pool(users, 8, async (user, k) => {
    for (let j = 0; j < CHAINS_PER_USER; j++) {
      const i = k * CHAINS_PER_USER + j;
      if (i >= n) break;
      const r = await httpJson(`${s.http}/auth/v1/signin?client_id=web`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-device-id': `${label}-${i}` },
        body: JSON.stringify({ username: user, password: PASSWORD }),
      });
      if (r.status !== 200 || !r.body?.refresh_token) throw new Error(`sign-in for chain ${label}-${i}: ${r.status} ${r.text.slice(0, 300)}`);
      chains[i] = { token: r.body.refresh_token };
    }
  });
  return chains;
}

const restCfg = (extra: Record<string, unknown>) => ({
  transport: 'REST (HTTP/1.1 keep-alive)',
  load_generator: 'autocannon 9 (programmatic), pipelining 1',
  connections: CONNECTIONS,
  warmup_s: WARMUP_S,
  duration_s: DURATION_S,
  ...extra,
});
const grpcCfg = (extra: Record<string, unknown>) => ({
  transport: 'gRPC (grpc-js, HTTP/2)',
  load_generator: `closed loop, ${CONNECTIONS} in-flight calls over ${GRPC_CHANNELS} channels (local subchannel pools)`,
  concurrency: CONNECTIONS,
  channels: GRPC_CHANNELS,
  warmup_s: WARMUP_S,
  duration_s: DURATION_S,
  ...extra,
});
const serverCfg = () => ({
  server: 'Signet child process (bench/signet-server.ts), PostgreSQL + Redis',
  argon2: { memory_kib: ARGON2.memoryCost, iterations: ARGON2.timeCost, parallelism: ARGON2.parallelism },
  signing_alg: 'ES256 (default)',
  rate_limits: RATE_LIMITS === 'off' ? 'off (BENCH_RATE_LIMITS=off)' : `on, per IP and per client raised to ${RATE_LIMIT_HIGH}/min (checks still run)`,
});

async function signinRest(s: Signet): Promise<Figure> {
  const req = (i: number): RestRequest => ({
    method: 'POST',
    path: '/auth/v1/signin?client_id=web',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: signinUser(i), password: PASSWORD }),
  });
  const pre = await httpJson(s.http + req(0).path, { method: 'POST', headers: req(0).headers, body: req(0).body });
  log(`signin_rest: ${CONNECTIONS} connections, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await restLoad(s.http, WARMUP_S, CONNECTIONS, req, s.child.pid);
  const r = await restLoad(s.http, DURATION_S, CONNECTIONS, req, s.child.pid);
  return figure(r, restCfg({ request: 'POST /auth/v1/signin?client_id=web {username,password}', users: `${CONNECTIONS}, one per connection`, ...serverCfg() }), {
    warmup: { ok: warm.ok, errors: warm.errors },
    preflight: describeToken(pre.status, pre.body),
  });
}

async function signinGrpc(s: Signet, clients: AuthServiceClient[]): Promise<Figure> {
  const msgs = Array.from({ length: CONNECTIONS }, (_, i) => SignInRequest.fromPartial({ username: signinUser(i), password: PASSWORD, client_id: 'web' }));
  const op = async (w: number): Promise<OpResult> => {
    const { err } = await grpcUnary(clients[w % clients.length], 'signIn', msgs[w % msgs.length]);
    return err ? { ok: false, code: grpcCode(err), detail: err.details } : { ok: true };
  };
  const pre = await grpcUnary(clients[0], 'signIn', msgs[0]);
  log(`signin_grpc: ${CONNECTIONS} in flight, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await closedLoop(CONNECTIONS, WARMUP_S, op, s.child.pid);
  const r = await closedLoop(CONNECTIONS, DURATION_S, op, s.child.pid);
  return figure(r, grpcCfg({ request: 'AuthService.SignIn {username,password,client_id:web}', users: `${CONNECTIONS}, one per in-flight caller`, ...serverCfg() }), {
    warmup: { ok: warm.ok, errors: warm.errors },
    preflight: pre.err ? { ok: false, code: grpcCode(pre.err), detail: pre.err.details } : describeToken(200, pre.res),
  });
}

function refreshBody(token: string) {
  return JSON.stringify({ grant_type: 'refresh_token', client_id: 'web', refresh_token: token });
}

/** A REST connection that carries its own rotating refresh token. */
function restChain(chain: { token: string }, broken: { n: number }): RestRequest {
  return {
    method: 'POST',
    path: '/auth/v1/token',
    headers: { 'content-type': 'application/json' },
    nextBody: () => refreshBody(chain.token),
    onResponse: (status, body) => {
      if (status !== 200) {
        broken.n++;
        return;
      }
      try {
        const t = JSON.parse(body).refresh_token;
        if (typeof t === 'string' && t) chain.token = t;
        else broken.n++;
      } catch {
        broken.n++;
      }
    },
  };
}

async function refreshRest(s: Signet): Promise<Figure> {
  log(`refresh_rest: creating ${2 * CONNECTIONS + 1} sessions`);
  const [pre, ...chains] = await makeChains(s, 'rest', 2 * CONNECTIONS + 1);
  const warmChains = chains.slice(0, CONNECTIONS);
  const mainChains = chains.slice(CONNECTIONS);
  const preRes = await httpJson(`${s.http}/auth/v1/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: refreshBody(pre.token) });
  const broken = { n: 0 };
  log(`refresh_rest: ${CONNECTIONS} connections, each with its own token chain, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await restLoad(s.http, WARMUP_S, CONNECTIONS, (i) => restChain(warmChains[i % warmChains.length], { n: 0 }), s.child.pid);
  const r = await restLoad(s.http, DURATION_S, CONNECTIONS, (i) => restChain(mainChains[i % mainChains.length], broken), s.child.pid);
  return figure(
    r,
    restCfg({ request: 'POST /auth/v1/token {grant_type:refresh_token,client_id:web,refresh_token}', chains: CONNECTIONS, chain_rule: 'each connection sends the refresh_token returned by its previous response', ...serverCfg() }),
    { warmup: { ok: warm.ok, errors: warm.errors }, chain_breaks: broken.n, preflight: describeToken(preRes.status, preRes.body) },
  );
}

async function refreshGrpc(s: Signet, clients: AuthServiceClient[]): Promise<Figure> {
  log(`refresh_grpc: creating ${2 * CONNECTIONS + 1} sessions`);
  const [pre, ...chains] = await makeChains(s, 'grpc', 2 * CONNECTIONS + 1);
  const preRes = await grpcUnary(clients[0], 'token', TokenRequest.fromPartial({ grant_type: 'refresh_token', client_id: 'web', refresh_token: pre.token }));
  const opFor = (set: Array<{ token: string }>) => async (w: number): Promise<OpResult> => {
    const chain = set[w];
    const { err, res } = await grpcUnary(clients[w % clients.length], 'token', TokenRequest.fromPartial({ grant_type: 'refresh_token', client_id: 'web', refresh_token: chain.token }));
    if (err) return { ok: false, code: grpcCode(err), detail: err.details };
    if (!res?.refresh_token) return { ok: false, code: 'NO_REFRESH_TOKEN' };
    chain.token = res.refresh_token;
    return { ok: true };
  };
  log(`refresh_grpc: ${CONNECTIONS} in flight, each with its own token chain, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await closedLoop(CONNECTIONS, WARMUP_S, opFor(chains.slice(0, CONNECTIONS)), s.child.pid);
  const r = await closedLoop(CONNECTIONS, DURATION_S, opFor(chains.slice(CONNECTIONS)), s.child.pid);
  return figure(r, grpcCfg({ request: 'AuthService.Token {grant_type:refresh_token,client_id:web,refresh_token}', chains: CONNECTIONS, chain_rule: 'each in-flight caller sends the refresh_token returned by its previous response', ...serverCfg() }), {
    warmup: { ok: warm.ok, errors: warm.errors },
    chain_breaks: r.errors,
    preflight: preRes.err ? { ok: false, code: grpcCode(preRes.err), detail: preRes.err.details } : describeToken(200, preRes.res),
  });
}

async function ccRest(s: Signet, seedInfo: Seed): Promise<Figure> {
  const req = (): RestRequest => ({
    method: 'POST',
    path: '/auth/v1/token',
    headers: { 'content-type': 'application/json', authorization: seedInfo.basic },
    body: JSON.stringify({ grant_type: 'client_credentials', scope: 'orders.read' }),
  });
  const pre = await httpJson(s.http + req().path, { method: 'POST', headers: req().headers, body: req().body });
  log(`client_credentials_rest: ${CONNECTIONS} connections, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await restLoad(s.http, WARMUP_S, CONNECTIONS, req, s.child.pid);
  const r = await restLoad(s.http, DURATION_S, CONNECTIONS, req, s.child.pid);
  return figure(r, restCfg({ request: 'POST /auth/v1/token {grant_type:client_credentials,scope:orders.read}, client_secret_basic', ...serverCfg() }), {
    warmup: { ok: warm.ok, errors: warm.errors },
    preflight: describeToken(pre.status, pre.body),
  });
}

async function ccGrpc(s: Signet, clients: AuthServiceClient[], seedInfo: Seed): Promise<Figure> {
  const msg = TokenRequest.fromPartial({ grant_type: 'client_credentials', scope: 'orders.read' });
  const md = () => {
    const m = new grpc.Metadata();
    m.set('authorization', seedInfo.basic);
    return m;
  };
  const op = async (w: number): Promise<OpResult> => {
    const { err } = await grpcUnary(clients[w % clients.length], 'token', msg, md());
    return err ? { ok: false, code: grpcCode(err), detail: err.details } : { ok: true };
  };
  const pre = await grpcUnary(clients[0], 'token', msg, md());
  log(`client_credentials_grpc: ${CONNECTIONS} in flight, ${WARMUP_S}+${DURATION_S} s`);
  const warm = await closedLoop(CONNECTIONS, WARMUP_S, op, s.child.pid);
  const r = await closedLoop(CONNECTIONS, DURATION_S, op, s.child.pid);
  return figure(r, grpcCfg({ request: 'AuthService.Token {grant_type:client_credentials,scope:orders.read}, authorization: Basic metadata', ...serverCfg() }), {
    warmup: { ok: warm.ok, errors: warm.errors },
    preflight: pre.err ? { ok: false, code: grpcCode(pre.err), detail: pre.err.details } : describeToken(200, pre.res),
  });
}

/**
 * SLOT — `locked_account_rest`: sign-in attempts per second against a locked account over REST
 * (POST /auth/v1/signin with the right and with a wrong password, 32 connections). Once lockout
 * exists (a later issue), seed a user, lock it (wrong passwords up to the threshold, or the admin
 * API), then run `restLoad` like signinRest and return `figure(...)` with `run('locked_account_rest',
 * …)`. Expect: every answer the documented lockout reason (count anything else as an error), no
 * argon2 work per attempt unless the design says otherwise (then bounded by the ceiling), and no
 * effect on other users' sign-in latency (measure signin_rest next to it). Add its target to
 * evaluateTargets().
 */
async function lockedAccountRest(_s: Signet): Promise<Skipped> {
  return { skipped: 'lockout is not implemented yet (a later issue adds it); slot reserved in bench/run.ts lockedAccountRest()' };
}

async function oidcReference(): Promise<Figure> {
  const childEnv: NodeJS.ProcessEnv = { ...env, BENCH_OIDC_CLIENT_ID: 'svc', BENCH_OIDC_CLIENT_SECRET: OIDC_CLIENT_SECRET, NODE_ENV: 'production' };
  const child = await spawnServer('oidc-server.ts', childEnv, 'oidc-provider');
  try {
    const base = `http://127.0.0.1:${child.ready.port}`;
    const basic = `Basic ${Buffer.from(`svc:${OIDC_CLIENT_SECRET}`).toString('base64')}`;
    const req = (): RestRequest => ({
      method: 'POST',
      path: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
      body: 'grant_type=client_credentials&scope=orders.read',
    });
    const pre = await httpJson(base + '/token', { method: 'POST', headers: req().headers, body: req().body });
    log(`reference oidc-provider client_credentials: ${CONNECTIONS} connections, ${WARMUP_S}+${DURATION_S} s`);
    const warm = await restLoad(base, WARMUP_S, CONNECTIONS, req, child.pid);
    const r = await restLoad(base, DURATION_S, CONNECTIONS, req, child.pid);
    const rssKb = procStatusKb(child.pid, 'VmHWM');
    return figure(
      r,
      restCfg({
        server: 'oidc-provider 9 child process (bench/oidc-server.ts), in-memory adapter, NODE_ENV=production',
        request: 'POST /token grant_type=client_credentials&scope=orders.read, client_secret_basic',
        access_token: 'JWT, ES256 (EC P-256 key from jose), resourceIndicators default resource',
        peak_rss_mb: rssKb !== null ? round(rssKb / 1024, 1) : null,
      }),
      { warmup: { ok: warm.ok, errors: warm.errors }, preflight: describeToken(pre.status, pre.body) },
    );
  } finally {
    await stopChild(child);
  }
}

// ---------------------------------------------------------------------------------------------
// Targets

const clean = (f: Figure | undefined) => !!f && f.ok > 0 && (f.error_rate ?? 1) <= 0.001;
const rate = (x: unknown): number | null => ((x as Figure | undefined)?.rate_per_s ?? null);

function setTarget(name: string, target: string, value: unknown, met: boolean | null, note?: string) {
  targets[name] = { target, value, met, ...(note ? { note } : {}) };
}

function evaluateTargets() {
  const f = (k: string) => out[k] as Figure | undefined;
  const isFig = (k: string) => !!f(k) && typeof f(k)!.ok === 'number';
  const ceiling = rate(out.argon2_verify_per_s);
  for (const k of ['signin_rest', 'signin_grpc']) {
    if (!isFig(k) || ceiling === null) setTarget(k, '>= 80% of argon2_verify_per_s', null, null, 'not measured');
    else {
      const ratio = (rate(f(k)) ?? 0) / ceiling;
      // Machine-independent view: the share of the sign-in's CPU (Signet + PostgreSQL + Redis)
      // that is the argon2 verification itself.
      const argonMs = f('argon2_verify_per_s')?.cpu_ms_per_ok?.loadgen ?? null;
      const c = f(k)!.cpu_ms_per_ok;
      const signinMs = c && c.server !== null ? c.server + (c.postgres_redis ?? 0) : null;
      setTarget(
        k,
        '>= 80% of argon2_verify_per_s, error rate <= 0.1%',
        {
          rate_per_s: rate(f(k)),
          ceiling_per_s: ceiling,
          fraction: round(ratio, 3),
          argon2_cpu_ms_per_verify: argonMs,
          signin_cpu_ms_per_ok: signinMs !== null ? round(signinMs, 2) : null,
          argon2_share_of_signin_cpu: argonMs !== null && signinMs ? round(argonMs / signinMs, 3) : null,
        },
        ratio >= 0.8 && clean(f(k)),
      );
    }
  }
  for (const k of ['refresh_rest', 'refresh_grpc']) {
    if (!isFig(k)) setTarget(k, '>= 2000/s', null, null, 'not measured');
    else setTarget(k, '>= 2000/s, error rate <= 0.1%', rate(f(k)), (rate(f(k)) ?? 0) >= 2000 && clean(f(k)));
  }
  const ref = isFig('reference_oidc_provider_client_credentials_rest') ? rate(f('reference_oidc_provider_client_credentials_rest')) : null;
  for (const k of ['client_credentials_rest', 'client_credentials_grpc']) {
    if (!isFig(k) || ref === null) setTarget(k, '>= reference_oidc_provider_client_credentials_rest', null, null, 'not measured');
    else setTarget(k, '>= reference_oidc_provider_client_credentials_rest, error rate <= 0.1%', { rate_per_s: rate(f(k)), reference_per_s: ref, fraction: round((rate(f(k)) ?? 0) / ref, 3) }, (rate(f(k)) ?? 0) >= ref && clean(f(k)));
  }
  if (isFig('client_credentials_rest') && isFig('client_credentials_grpc')) {
    const ratio = (rate(f('client_credentials_rest')) ?? 0) / (rate(f('client_credentials_grpc')) || NaN);
    setTarget(
      'client_credentials_rest_vs_grpc',
      'REST within 15% of gRPC: rest/grpc >= 0.85 (REST may be faster)',
      { rest_over_grpc: round(ratio, 3), symmetric_within_15pct: Math.abs(1 - ratio) <= 0.15 },
      ratio >= 0.85 && clean(f('client_credentials_rest')),
      ratio > 1.15 ? 'gRPC is the slower one: its figure is bounded by the grpc-js load generator sharing the 2 cores (see cpu_cores.loadgen)' : undefined,
    );
  } else setTarget('client_credentials_rest_vs_grpc', 'REST within 15% of gRPC', null, null, 'not measured');
  const rss = (out.rss_mb as any)?.peak_hwm_mb ?? null;
  setTarget('rss_mb', 'Signet child peak RSS (VmHWM) < 250 MB', rss, rss === null ? null : rss < 250);
  setTarget('locked_account_rest', 'not defined yet', null, null, 'skipped: lockout arrives in a later issue');
  // A figure taken while other work loaded the machine is flagged on its targets.
  const sources: Record<string, string[]> = {
    signin_rest: ['signin_rest', 'argon2_verify_per_s'],
    signin_grpc: ['signin_grpc', 'argon2_verify_per_s'],
    refresh_rest: ['refresh_rest'],
    refresh_grpc: ['refresh_grpc'],
    client_credentials_rest: ['client_credentials_rest', 'reference_oidc_provider_client_credentials_rest'],
    client_credentials_grpc: ['client_credentials_grpc', 'reference_oidc_provider_client_credentials_rest'],
    client_credentials_rest_vs_grpc: ['client_credentials_rest', 'client_credentials_grpc'],
  };
  for (const [t, keys] of Object.entries(sources)) {
    const noisy = keys.filter((k) => (out[k] as Figure | undefined)?.machine?.noisy);
    const tg = targets[t];
    if (noisy.length && tg) {
      // Not judged: a busy machine can fail a target as easily as pass one (a slowed ceiling or
      // reference makes the ratio look good). The verdict the figures would give is kept aside.
      const n = `not judged, measured on a busy machine (other processes used CPU): ${noisy.join(', ')}`;
      tg.note = tg.note ? `${tg.note}; ${n}` : n;
      (tg as Record<string, unknown>).met_on_noisy_figures = tg.met;
      tg.met = null;
    }
  }
}

function ratios() {
  const pair = (a: string, b: string) => {
    const ra = rate(out[a]);
    const rb = rate(out[b]);
    return ra !== null && rb ? round(ra / rb, 3) : null;
  };
  return {
    signin: pair('signin_rest', 'signin_grpc'),
    refresh: pair('refresh_rest', 'refresh_grpc'),
    client_credentials: pair('client_credentials_rest', 'client_credentials_grpc'),
    note: 'REST rate / gRPC rate',
  };
}

// ---------------------------------------------------------------------------------------------
// Cleanup

let cleanedUp = false;
let dataDir: string | undefined;
async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const c of [...children]) await stopChild(c).catch(() => undefined);
  if (want('signin') || want('refresh') || want('client_credentials')) {
    try {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
      } finally {
        await c.end();
      }
    } catch (err) {
      log(`could not drop schema ${SCHEMA}: ${String(err)}`);
    }
    try {
      const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      let cursor = '0';
      let deleted = 0;
      for (let i = 0; i < 100_000; i++) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 1000);
        if (keys.length) deleted += await redis.unlink(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
      await redis.quit();
      log(`dropped schema ${SCHEMA}, deleted ${deleted} Redis keys under ${KEY_PREFIX}`);
    } catch (err) {
      log(`could not clean Redis prefix ${KEY_PREFIX}: ${String(err)}`);
    }
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const phaseS = WARMUP_S + DURATION_S + 1;
  out.run = {
    id: RUN_ID,
    started_at: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    postgres: PG_URL.replace(/\/\/[^@]*@/, '//***@'),
    redis: REDIS_URL,
    schema: SCHEMA,
    key_prefix: KEY_PREFIX,
    phases: [...ONLY],
    note: 'Each server under test runs in its own child process; the load generators (autocannon for REST, a grpc-js closed loop for gRPC) run in the parent on the same 2 cores. rate_per_s counts only successful (2xx / OK) responses completed inside the measured window.',
  };

  const needsSignet = want('signin') || want('refresh') || want('client_credentials');
  // The ceiling is taken right before the sign-in figures it bounds (Signet up but idle), so that
  // both see the same machine; alone, it runs first.
  const ceilingWithSignin = want('argon2') && want('signin');
  if (want('argon2') && !ceilingWithSignin) out.argon2_verify_per_s = await measured('argon2', argon2Ceiling);
  let profDir: string | undefined;
  let signet: Signet | undefined;
  let rss: RssSampler | undefined;
  let clients: AuthServiceClient[] = [];
  try {
    if (needsSignet) {
      dataDir = mkdtempSync(path.join(tmpdir(), 'signet-bench-'));
      profDir = CPU_PROF ? mkdtempSync(path.join(tmpdir(), 'signet-bench-prof-')) : undefined;
      log(`starting Signet child (schema ${SCHEMA}, key prefix ${KEY_PREFIX})${CPU_PROF ? `, --cpu-prof into ${profDir}` : ''}`);
      signet = await startSignetChild(dataDir, profDir);
      rss = new RssSampler(signet.child.pid);
      rss.start();
      const startRss = procStatusKb(signet.child.pid, 'VmRSS');
      log(`Signet up: ${JSON.stringify(signet.child.ready.ports)}, pid ${signet.child.pid}, rss ${startRss} kB`);
      rss.setPhase('seed');
      const seedInfo = await seed(signet);
      clients = await grpcClients(signet.grpcPort, GRPC_CHANNELS);

      const run = async (key: string, phase: string, seconds: number, fn: () => Promise<Figure>) => {
        if (!fits(key, seconds)) {
          out[key] = { skipped: 'time budget' } satisfies Skipped;
          return;
        }
        rss!.setPhase(key);
        try {
          out[key] = await measured(key, fn);
          const fg = out[key] as Figure;
          log(`${key}: ${fg.machine?.noisy ? '(NOISY) ' : ''}${fg.rate_per_s}/s ok=${fg.ok} errors=${fg.errors} p50=${fg.p50_ms} ms p99=${fg.p99_ms} ms cpu=${JSON.stringify(fg.cpu_cores)}`);
        } catch (err) {
          log(`${key} failed: ${(err as Error).stack ?? err}`);
          out[key] = { skipped: `failed: ${String((err as Error).message ?? err).slice(0, 500)}`, phase } satisfies Skipped & { phase: string };
        }
      };

      if (want('signin')) {
        let before: Figure | undefined;
        if (ceilingWithSignin) {
          rss.setPhase('argon2 ceiling (Signet idle)');
          before = await measured('argon2', argon2Ceiling);
          out.argon2_verify_per_s = before;
        }
        await run('signin_rest', 'signin', phaseS, () => signinRest(signet!));
        await run('signin_grpc', 'signin', phaseS, () => signinGrpc(signet!, clients));
        // A ceiling is a maximum and a busy machine only lowers it: take it again after the
        // sign-in figures and keep the better of the two.
        if (before && fits('argon2 (second sample)', ARGON2_S + WARMUP_S + 2)) {
          rss.setPhase('argon2 ceiling (Signet idle)');
          const after = await measured('argon2', argon2Ceiling);
          const best = (after.rate_per_s ?? 0) > (before.rate_per_s ?? 0) ? after : before;
          out.argon2_verify_per_s = {
            ...best,
            samples: [before, after].map((f, i) => ({
              when: i === 0 ? 'before the sign-in figures' : 'after the sign-in figures',
              rate_per_s: f.rate_per_s,
              cpu_ms_per_verify: f.cpu_ms_per_ok?.loadgen ?? null,
              noisy: f.machine?.noisy ?? null,
              kept: f === best,
            })),
          };
        }
      }
      if (want('refresh')) {
        await run('refresh_rest', 'refresh', phaseS + 5, () => refreshRest(signet!));
        await run('refresh_grpc', 'refresh', phaseS + 5, () => refreshGrpc(signet!, clients));
      }
      if (want('client_credentials')) {
        await run('client_credentials_rest', 'client_credentials', phaseS, () => ccRest(signet!, seedInfo));
        await run('client_credentials_grpc', 'client_credentials', phaseS, () => ccGrpc(signet!, clients, seedInfo));
      }
      out.locked_account_rest = await lockedAccountRest(signet);
    }

    if (want('oidc')) {
      if (fits('reference_oidc_provider_client_credentials_rest', phaseS + 5)) {
        if (rss) rss.setPhase('idle (oidc-provider reference running)');
        try {
          out.reference_oidc_provider_client_credentials_rest = await measured('reference', oidcReference);
          const fg = out.reference_oidc_provider_client_credentials_rest as Figure;
          log(`reference: ${fg.machine?.noisy ? '(NOISY) ' : ''}${fg.rate_per_s}/s ok=${fg.ok} errors=${fg.errors} p50=${fg.p50_ms} ms p99=${fg.p99_ms} ms cpu=${JSON.stringify(fg.cpu_cores)}`);
        } catch (err) {
          log(`reference failed: ${(err as Error).stack ?? err}`);
          out.reference_oidc_provider_client_credentials_rest = { skipped: `failed: ${String((err as Error).message).slice(0, 500)}` };
        }
      } else out.reference_oidc_provider_client_credentials_rest = { skipped: 'time budget' };
    }

    if (signet && rss) {
      rss.sample();
      rss.stop();
      const hwm = procStatusKb(signet.child.pid, 'VmHWM');
      out.rss_mb = {
        peak_hwm_mb: hwm !== null ? round(hwm / 1024, 1) : null,
        max_sampled_rss_mb: round(rss.maxKb / 1024, 1),
        by_phase_max_rss_mb: Object.fromEntries(Object.entries(rss.byPhase).map(([k, v]) => [k, round(v / 1024, 1)])),
        config: { source: `/proc/<signet child pid>/status VmHWM at the end; VmRSS sampled every 200 ms`, pid: signet.child.pid },
      };
    }
  } finally {
    for (const c of clients) c.close();
    if (signet) {
      const code = await stopChild(signet.child);
      if (code !== 0 && code !== null) log(`Signet child exited with ${code}`);
    }
    if (profDir) {
      // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (the
      // other one is tsx's module-loader thread).
      const files = existsSync(profDir) ? readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')) : [];
      const main = files.find((f) => /\.0\.\d+\.cpuprofile$/.test(f)) ?? files[0];
      if (main) {
        try {
          out.signet_cpu_profile = {
            ...summarizeProfile(path.join(profDir, main), profileWindows.filter((w) => w.name !== 'argon2' && w.name !== 'reference')),
            note: 'main thread of the Signet child only (argon2 and crypto jobs run on libuv threads and do not appear); pct of busy main-thread time inside each measured window',
          } satisfies ProfileSummary & { note: string };
        } catch (err) {
          out.signet_cpu_profile = { error: String(err) };
        }
      } else out.signet_cpu_profile = { error: `no .cpuprofile written in ${profDir}` };
    }
    await cleanup();
  }

  out.rest_vs_grpc = ratios();
  evaluateTargets();
  out.targets = targets;
  (out.run as any).total_s = round(elapsedS(), 1);
}

// Hard stop: whatever happens, the bench ends on its own and prints what it has.
const hardStop = setTimeout(async () => {
  log(`hard time limit (${BUDGET_S + 10} s) reached: stopping`);
  out.aborted = 'hard time limit reached';
  await cleanup().catch(() => undefined);
  evaluateTargets();
  out.targets = targets;
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  process.exit(1);
}, (BUDGET_S + 10) * 1000);
hardStop.unref();

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, async () => {
    log(`${sig}: cleaning up`);
    await cleanup().catch(() => undefined);
    process.exit(130);
  });
}

main().then(
  () => {
    clearTimeout(hardStop);
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    process.exit(0);
  },
  async (err) => {
    log(`bench failed: ${(err as Error).stack ?? err}`);
    await cleanup().catch(() => undefined);
    out.failed = String((err as Error).message ?? err);
    evaluateTargets();
    out.targets = targets;
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    process.exit(1);
  },
);
