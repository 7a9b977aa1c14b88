// Servers under test, each in its own child process: Signet (signet-server.mjs, compiled or under
// tsx, see build.ts) and the node-oidc-provider reference. A child prints `BENCH_READY {json}`
// when it listens; the parent holds its stdin, so a child never outlives the bench.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  ADMIN_TOKEN,
  ARGON2,
  HERE,
  KEY_ENCRYPTION_KEY,
  KEY_PREFIX,
  PG_URL,
  RATE_LIMITS,
  RATE_LIMIT_HIGH,
  REDIS_URL,
  ROOT,
  SCHEMA,
  env,
  sleep,
} from './env.js';
import type { ServerRuntime } from './build.js';

export interface Child {
  proc: ChildProcess;
  pid: number;
  ready: Record<string, any>;
  exited: Promise<number | null>;
}

export const children = new Set<Child>();

/** Starts `node [nodeArgs] bench/<script>`; the pid we watch is the server itself. */
export async function spawnServer(script: string, childEnv: NodeJS.ProcessEnv, label: string, nodeArgs: string[] = []): Promise<Child> {
  const proc = spawn(process.execPath, [...nodeArgs, path.join(HERE, script)], {
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
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${label}: not ready after 90 s\n${stderrTail}`));
    }, 90_000);
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

export async function stopChild(c: Child | undefined): Promise<number | null> {
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

export interface Signet {
  child: Child;
  http: string;
  admin: string;
  grpcPort: number;
}

export interface SignetOptions {
  dataDir: string;
  profDir?: string;
  label?: string;
  /** SIGNET_* settings on top of the bench's (the policy figure's second child). */
  overrides?: Record<string, string>;
}

/**
 * A Signet child on 127.0.0.1 with ephemeral ports, the run's schema, key prefix, admin token
 * and key-encryption key: every child of the run shares storage and signing keys.
 */
export async function startSignetChild(runtime: ServerRuntime, o: SignetOptions): Promise<Signet> {
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('SIGNET_') || k.startsWith('BENCH_') || k === 'DATABASE_URL' || k === 'REDIS_URL') continue;
    childEnv[k] = v;
  }
  // As the Dockerfile runs Signet: fewer glibc malloc arenas for libuv's pool threads (WebCrypto,
  // OpenSSL); ~4 MB less peak RSS. (argon2's 19 MiB buffers come from its own allocator, mimalloc,
  // which gives them back after each hash.)
  childEnv.MALLOC_ARENA_MAX ??= '2';
  Object.assign(childEnv, {
    DATABASE_URL: PG_URL,
    REDIS_URL,
    BENCH_SCHEMA: SCHEMA,
    BENCH_KEY_PREFIX: KEY_PREFIX,
    BENCH_APP_DIR: runtime.appDir,
    SIGNET_DATA_DIR: o.dataDir,
    SIGNET_HOST: '127.0.0.1',
    SIGNET_ADMIN_HOST: '127.0.0.1',
    SIGNET_GRPC_PORT: '0',
    SIGNET_HTTP_PORT: '0',
    SIGNET_ADMIN_PORT: '0',
    SIGNET_ADMIN_HTTP_PORT: '0',
    SIGNET_ADMIN_TOKEN: ADMIN_TOKEN,
    SIGNET_KEY_ENCRYPTION_KEY: KEY_ENCRYPTION_KEY,
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
    // Likewise the per-IP failed sign-in thresholds (captcha at 10, refusal at 100 by default):
    // the brute-force figures fail thousands of sign-ins from 127.0.0.1. Still read and counted.
    SIGNET_IP_FAILURES_CAPTCHA: String(RATE_LIMIT_HIGH),
    SIGNET_IP_FAILURES_BLOCK: String(RATE_LIMIT_HIGH),
    ...o.overrides,
  });
  const nodeArgs = [...(o.profDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profDir}`] : []), ...runtime.nodeArgs];
  const child = await spawnServer('signet-server.mjs', childEnv, o.label ?? 'signet', nodeArgs);
  const p = child.ready.ports;
  return { child, http: `http://127.0.0.1:${p.http}`, admin: `http://127.0.0.1:${p.adminHttp}`, grpcPort: p.grpc };
}
