// A Signet started exactly as `npm start` starts it, in a process group of its own (so that a
// test can signal the whole group, as a terminal or a service manager does), on the test
// PostgreSQL in a schema of its own.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, PG_URL, REDIS_URL } from './signet.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface ServeProcess {
  /** The process group's id (npm's pid). */
  pid: number;
  schema: string;
  ports: { grpc: number; http: number; admin: number; adminHttp: number };
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to the group if it is still there (a failed test's leftovers). */
  kill(): void;
}

/**
 * `npm start` with the given settings on top of test ones. Redis is the test Redis, in a database
 * of its own (the server has no key prefix setting); rate limits are off so that a load from
 * one IP is never refused.
 */
export async function startServeProcess(env: Record<string, string> = {}): Promise<ServeProcess> {
  const schema = `serve_${randomBytes(6).toString('hex')}`;
  const db = new URL(PG_URL);
  db.searchParams.set('schema', schema);
  const redis = new URL(REDIS_URL);
  redis.pathname = '/13';
  const ports = { grpc: await freePort(), http: await freePort(), admin: await freePort(), adminHttp: await freePort() };
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(SIGNET_|DATABASE_URL$|REDIS_URL$|NODE_OPTIONS$|VITEST)/.test(k)),
  );
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...inherited,
      DATABASE_URL: db.toString(),
      REDIS_URL: redis.toString(),
      SIGNET_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'signet-serve-')),
      SIGNET_HOST: '127.0.0.1',
      SIGNET_GRPC_PORT: String(ports.grpc),
      SIGNET_HTTP_PORT: String(ports.http),
      SIGNET_ADMIN_PORT: String(ports.admin),
      SIGNET_ADMIN_HTTP_PORT: String(ports.adminHttp),
      SIGNET_ISSUER: 'http://signet.test',
      SIGNET_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      SIGNET_ADMIN_TOKEN: ADMIN_TOKEN,
      SIGNET_ARGON2_MEMORY_KIB: '1024',
      SIGNET_ARGON2_ITERATIONS: '1',
      SIGNET_RATE_LIMIT_IP_PER_MINUTE: '0',
      SIGNET_RATE_LIMIT_CLIENT_PER_MINUTE: '0',
      SIGNET_LOG_LEVEL: 'info',
      ...env,
    },
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const pid = child.pid as number;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  try {
    await listening(child, () => output, exited);
  } catch (err) {
    kill();
    throw err;
  }
  return { pid, schema, ports, output: () => output, exited, kill };
}

function listening(child: ChildProcess, output: () => string, exited: Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!output().includes('"msg":"signet listening"')) return;
      child.stdout?.off('data', check);
      resolve();
    };
    child.stdout?.on('data', check);
    void exited.then(() => reject(new Error(`npm start exited before listening:\n${output()}`)));
  });
}
