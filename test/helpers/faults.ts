// Real faults for the fault suite (test/fault/): a redis-server of the test's own, killed and
// started again on the same port; a TCP proxy in front of PostgreSQL whose connections are cut;
// and a steady load of sign-ins and refreshes whose every answer is kept and judged.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorInfo, RetryInfo } from '../../src/gen/google/rpc/error_details.js';
import { Status } from '../../src/gen/google/rpc/status.js';
import { adminPost, call, freePort, type TestSignet } from './signet.js';

/**
 * A Signet for the load: rate limits and per-IP thresholds on (so every request asks Redis) but
 * out of reach (every request comes from one IP), and a refresh grace long enough for a
 * refresher whose answer was lost to come back with the token it had.
 */
const OUT_OF_REACH = '1000000000';
export const FAULT_ENV = {
  SIGNET_RATE_LIMIT_IP_PER_MINUTE: OUT_OF_REACH,
  SIGNET_RATE_LIMIT_CLIENT_PER_MINUTE: OUT_OF_REACH,
  SIGNET_IP_FAILURES_CAPTCHA: OUT_OF_REACH,
  SIGNET_IP_FAILURES_BLOCK: OUT_OF_REACH,
  SIGNET_REFRESH_GRACE_SECONDS: '300',
};

/** The bound the suite holds every `unavailable` answer to: the goal is 2 s, CPUs are shared. */
export const ANSWER_BOUND_MS = 5000;
/** Recovery: every request begun this long after the dependency is back must succeed. */
export const RECOVERY_MS = 5000;

/** A redis-server on a free port, without persistence: a restart starts it empty. */
export class RedisProcess {
  private proc: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisProcess> {
    const r = new RedisProcess(await freePort());
    await r.restart();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    this.proc = spawn('redis-server', args, { stdio: 'ignore' });
    await waitFor(() => ping(this.port), 10_000, `redis-server on port ${this.port}`);
  }

  /** SIGSTOP / SIGCONT: a Redis that keeps its connections but stops answering (a stall, a partition). */
  freeze(frozen: boolean): void {
    this.proc?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** SIGKILL, as a crash or an OOM kill: no goodbye to the clients. Resolves once it is gone. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = once(p, 'exit');
    p.kill('SIGKILL');
    await exited;
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.setTimeout(500);
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`${what} did not come up within ${ms} ms`);
}

/**
 * Forwards a local port to PostgreSQL. cut() destroys every connection and stops listening, so
 * new connections are refused (ECONNREFUSED) until restore() listens again on the same port.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const p = new TcpProxy(await freePort(), target);
    await p.restore();
    return p;
  }

  async restore(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise((r) => server.close(r)) : undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }
}

/** What one request got: ok, a clean `unavailable`, or anything else (a problem, described). */
export interface Outcome {
  kind: string;
  start: number;
  end: number;
  result: 'ok' | 'unavailable' | 'problem';
  problem?: string;
}

type Judge = () => Promise<Outcome['result'] | string>;

const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

/** A REST answer: 200, or 503 `unavailable` with RetryInfo (body and Retry-After header). */
export async function judgeRest(res: Response): Promise<Outcome['result'] | string> {
  const text = await res.text();
  if (res.status === 200) return 'ok';
  const body = text ? JSON.parse(text) : {};
  const retry = body.details?.find((d: { '@type': string }) => d['@type'] === RETRY_INFO);
  if (res.status === 503 && body.error === 'unavailable' && body.code === 14 && retry?.retry_delay && res.headers.get('retry-after')) {
    return 'unavailable';
  }
  return `HTTP ${res.status} ${text.slice(0, 300)}`;
}

/** An HZERO token answer: 200, or 503 in Spring OAuth's shape with Retry-After. */
export async function judgeHzero(res: Response): Promise<Outcome['result'] | string> {
  const text = await res.text();
  if (res.status === 200) return 'ok';
  const body = text ? JSON.parse(text) : {};
  if (res.status === 503 && body.error === 'temporarily_unavailable' && body.success === false && res.headers.get('retry-after')) {
    return 'unavailable';
  }
  return `HTTP ${res.status} ${text.slice(0, 300)}`;
}

/** A gRPC failure: UNAVAILABLE with ErrorInfo `unavailable` and RetryInfo in the status details. */
export function judgeGrpc(err: unknown): Outcome['result'] | string {
  const e = err as { code?: number; details?: string; metadata?: { get(k: string): unknown[] } };
  const bin = e.metadata?.get('grpc-status-details-bin')[0] as Buffer | undefined;
  if (e.code !== 14 || !bin) return `gRPC ${e.code} ${e.details}`;
  const status = Status.decode(bin);
  const info = status.details.find((d) => d.type_url.endsWith('google.rpc.ErrorInfo'));
  const retry = status.details.find((d) => d.type_url === RETRY_INFO);
  const reason = info ? ErrorInfo.decode(info.value).reason : '';
  if (reason === 'unavailable' && retry && RetryInfo.decode(retry.value).retry_delay) return 'unavailable';
  return `gRPC ${e.code} ${reason} ${e.details}`;
}

/**
 * Workers that each repeat one kind of request until stopped, a short pause between requests
 * (longer after a failure, as a client retrying would), every answer recorded.
 */
export class Load {
  readonly outcomes: Outcome[] = [];
  private running = true;
  private readonly workers: Promise<void>[] = [];

  add(kind: string, judge: Judge): void {
    this.workers.push(this.work(kind, judge));
  }

  private async work(kind: string, judge: Judge): Promise<void> {
    while (this.running) {
      const start = Date.now();
      let verdict: Outcome['result'] | string;
      try {
        verdict = await judge();
      } catch (err) {
        verdict = `threw ${err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err)}`;
      }
      const end = Date.now();
      this.outcomes.push(
        verdict === 'ok' || verdict === 'unavailable'
          ? { kind, start, end, result: verdict }
          : { kind, start, end, result: 'problem', problem: verdict },
      );
      await sleep(verdict === 'ok' ? 20 : 50);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** The answers that were neither a success nor a clean `unavailable`. */
  problems(): Outcome[] {
    return this.outcomes.filter((o) => o.result === 'problem');
  }

  /** Requests that began after `from` and were answered before `to`. */
  within(from: number, to: number): Outcome[] {
    return this.outcomes.filter((o) => o.start >= from && o.end <= to);
  }

  /** The longest wait for an `unavailable`, in ms. */
  slowestUnavailable(): number {
    return Math.max(0, ...this.outcomes.filter((o) => o.result === 'unavailable').map((o) => o.end - o.start));
  }

  /** Per kind: ms from `at` to the start of the first success begun after it. */
  recovery(at: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const o of this.outcomes) {
      if (o.result !== 'ok' || o.start < at) continue;
      out[o.kind] = Math.min(out[o.kind] ?? Infinity, o.start - at);
    }
    return out;
  }

  kinds(): string[] {
    return [...new Set(this.outcomes.map((o) => o.kind))];
  }
}

/**
 * What the fault suite runs against a seeded Signet (seed()): password sign-ins and refresh-token
 * rotations over REST, gRPC and HZERO's token endpoint. Each worker is a user of its own, as
 * real traffic is many users: no sign-in ends another worker's session (max_sessions), and a
 * user's lockout budget is shared by no one. A refresher keeps the token it last received: one
 * whose answer was lost comes back within the grace window.
 */
const WORKERS = ['rest sign-in', 'rest sign-in', 'hzero sign-in', 'grpc sign-in', 'rest refresh', 'rest refresh', 'grpc refresh'];
let runs = 0;

export async function steadyLoad(s: TestSignet, password: string): Promise<Load> {
  const run = ++runs;
  const rest = (path: string, body: unknown) =>
    fetch(s.http + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const hzero = (body: Record<string, string>) =>
    fetch(`${s.http}/oauth/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
  const grpc = async (method: string, req: object) => ((await call(s.grpc, method, req)) as { refresh_token: string }).refresh_token;

  const load = new Load();
  await Promise.all(
    WORKERS.map(async (kind, i) => {
      const signIn = { client_id: 'web', username: `load${run}_${i}`, password };
      const u = await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username: signIn.username, password });
      if (u.status !== 200) throw new Error(`load user: ${JSON.stringify(u.body)}`);
      let token = ((await (await rest('/auth/v1/signin', signIn)).json()) as { refresh_token: string }).refresh_token;
      const refresh = () => ({ client_id: 'web', grant_type: 'refresh_token', refresh_token: token });
      const steps: Record<string, Judge> = {
        'rest sign-in': () => rest('/auth/v1/signin', signIn).then(judgeRest),
        'hzero sign-in': () => hzero({ grant_type: 'password', ...signIn }).then(judgeHzero),
        'grpc sign-in': () => grpcVerdict(grpc('signIn', signIn)),
        'rest refresh': async () => {
          const res = await rest('/auth/v1/token', refresh());
          if (res.status !== 200) return judgeRest(res);
          token = ((await res.json()) as { refresh_token: string }).refresh_token;
          return 'ok';
        },
        'grpc refresh': () =>
          grpcVerdict(
            grpc('token', refresh()).then((t) => {
              token = t;
            }),
          ),
      };
      load.add(kind, steps[kind]);
    }),
  );
  return load;
}

async function grpcVerdict(p: Promise<unknown>): Promise<Outcome['result'] | string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return judgeGrpc(err);
  }
}
