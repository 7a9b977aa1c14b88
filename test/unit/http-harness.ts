// Shared by the http-*.test.ts files: a transcoder on port 0 with recording fake handlers.
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { AdminServiceDefinition } from '../../src/gen/signet/auth/v1/admin_service.js';
import { AuthServiceDefinition } from '../../src/gen/signet/auth/v1/auth_service.js';
import type { CallContext, ServiceHandlers } from '../../src/transport/context.js';
import { createHttpServer, type HttpServerOptions } from '../../src/transport/http/index.js';
import type { GenericServiceDefinition } from '../../src/transport/http/routes.js';

export interface Call {
  rpc: string;
  req: any;
  ctx: CallContext;
}

export interface Harness {
  url: string;
  port: number;
  calls: Call[];
  /** What a handler answers (or throws, if an Error) by RPC name; {} otherwise. */
  answers: Record<string, unknown>;
  logs: any[];
  server: Server;
  close(): Promise<void>;
}

function fakeHandlers(def: GenericServiceDefinition, calls: Call[], answers: Record<string, unknown>): ServiceHandlers {
  const out: ServiceHandlers = {};
  for (const m of Object.values(def.methods)) {
    out[m.name] = async (req, ctx) => {
      calls.push({ rpc: m.name, req, ctx });
      const a = answers[m.name];
      if (a instanceof Error) throw a;
      if (typeof a === 'function') return a(req, ctx);
      return a ?? {};
    };
  }
  return out;
}

export async function startHarness(
  config: Partial<HttpServerOptions['config']> = {},
  extra: Partial<HttpServerOptions> = {},
): Promise<Harness> {
  const calls: Call[] = [];
  const answers: Record<string, unknown> = {};
  const logs: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  const server = createHttpServer({
    services: [
      { definition: AuthServiceDefinition, handlers: fakeHandlers(AuthServiceDefinition, calls, answers) },
      { definition: AdminServiceDefinition, handlers: fakeHandlers(AdminServiceDefinition, calls, answers) },
    ],
    config: { trustedProxies: [], corsOrigins: ['*'], bodyLimitBytes: 65536, defaultLocale: 'zh-CN', ...config },
    logger: pino({ level: 'info' }, stream),
    ...extra,
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    answers,
    logs,
    server,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

/** A raw HTTP exchange (no fetch: it would normalise paths and refuse some headers). */
export function call(
  h: Harness,
  method: string,
  path: string,
  opts: { headers?: Record<string, string | number>; body?: string | Buffer; chunked?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: h.port, method, path, headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) {
      if (opts.chunked) {
        const buf = Buffer.from(opts.body);
        const half = Math.floor(buf.length / 2);
        req.write(buf.subarray(0, half));
        setTimeout(() => req.end(buf.subarray(half)), 5);
        return;
      }
      req.end(opts.body);
    } else {
      req.end();
    }
  });
}

export const post = (h: Harness, path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(h, 'POST', path, {
    headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
