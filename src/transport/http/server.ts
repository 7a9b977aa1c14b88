// The REST dialect: a transcoder in the manner of grpc-gateway, in process. Requests are mapped to
// the same handlers the gRPC server calls, by the google.api.http annotations alone.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Config } from '../../config.js';
import { SignetError } from '../../domain/errors.js';
import type { Logger } from '../../logger.js';
import { TrustedProxies } from '../clientip.js';
import { REQUEST_ID, type CallContext, type ServiceHandlers } from '../context.js';
import { pickLocale } from '../locale.js';
import { encodeMessage } from '../protojson.js';
import { defaultRegistry, type Registry } from '../registry.js';
import { HttpError, statusToJson, toStatus } from '../status.js';
import { Cors } from './cors.js';
import { BodyTooLarge, buildRequest, parseBody, readBody } from './request.js';
import { compileRoutes, RouteTable, type GenericServiceDefinition, type Route } from './routes.js';
import { ExtraRoutes } from './extra.js';
import { bearerOf } from '../credentials.js';
import type { CallObserver, Dialect, ObservedCall } from '../../observability/index.js';

/** The headers handlers see as metadata, under the same (lower-case) names as gRPC metadata. */
export const METADATA_HEADERS = [
  'authorization',
  'x-device-id',
  'x-request-id',
  'accept-language',
  'x-captcha-token',
  'x-forwarded-for',
  'user-agent',
  'x-sdk-version',
] as const;

/** What an extra (hand-written, non-proto) route gets: the raw exchange plus Signet's helpers. */
export interface HttpExchange {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: CallContext;
  /** The raw query string, without '?'. */
  query: string;
  /** The values of the route's `{name}` path segments, percent-decoded. */
  params: Record<string, string>;
  /** The body, limited to bodyLimitBytes (beyond it: a 413 resource_exhausted is thrown). */
  readBody(): Promise<Buffer>;
  /** Writes a JSON answer with the request id and CORS headers. */
  sendJson(status: number, body: unknown, headers?: OutgoingHttpHeaders): void;
  /** Writes any other answer (an image, …) with the request id and CORS headers; give content-type. */
  send(status: number, body: Buffer | string, headers: OutgoingHttpHeaders): void;
  /** The reason of a refusal the route rendered itself (for metrics and traces; "ok" when unset and < 400). */
  reason?: string;
}

/**
 * A route outside the proto (dialects with form bodies or images, e.g. HZERO's). Whatever it
 * throws is answered like a handler's error.
 */
export interface ExtraRoute {
  method: string;
  /** Exact, or with `{name}` segments that match one segment each (`/captcha/{key}`). */
  path: string;
  handle(x: HttpExchange): Promise<void> | void;
  /** What metrics and traces count the route under; "http" when unset. */
  dialect?: Dialect;
}

export interface HttpServerOptions {
  services: Array<{ definition: GenericServiceDefinition; handlers: ServiceHandlers }>;
  /** Must know every message of the services; defaults to Signet's own. */
  registry?: Registry;
  config: Pick<Config, 'trustedProxies' | 'corsOrigins' | 'bodyLimitBytes' | 'defaultLocale'>;
  logger: Logger;
  /** Shared with the gRPC server; built from config.trustedProxies when absent. */
  proxies?: TrustedProxies;
  extraRoutes?: ExtraRoute[];
  /** Counts, times and traces every request. */
  observer?: CallObserver;
}

const USERINFO_RPC = 'signet.auth.v1.AuthService/GetOidcUserInfo';

const CLIENT_AUTH_FAILURES: ReadonlySet<string> = new Set(['invalid_client', 'unauthorized_client']);

export function createHttpServer(opts: HttpServerOptions): Server {
  const reg = opts.registry ?? defaultRegistry();
  const { config, logger: log } = opts;
  const limit = config.bodyLimitBytes;
  const table = new RouteTable();
  for (const s of opts.services) compileRoutes(table, s.definition, s.handlers, reg);

  const extra = new ExtraRoutes();
  for (const r of opts.extraRoutes ?? []) {
    if (table.match(r.method.toUpperCase(), r.path)) throw new Error(`http: ${r.method} ${r.path} is routed twice`);
    extra.add(r);
  }
  const cors = new Cors(config.corsOrigins, [...table.methods, ...extra.methods]);
  const proxies = opts.proxies ?? new TrustedProxies(config.trustedProxies);
  // Bound once: a request only looks its route's cells up.
  const observer = opts.observer;
  const cells = observer && {
    unrouted: observer.rpc('rest', 'unrouted'),
    preflight: observer.rpc('http', 'OPTIONS *'),
    extra: new Map((opts.extraRoutes ?? []).map((r) => [r, observer.rpc(r.dialect ?? 'http', `${r.method.toUpperCase()} ${r.path}`)])),
  };

  const contextOf = (req: IncomingMessage): CallContext => {
    const h = req.headers;
    const metadata: Record<string, string> = {};
    for (const name of METADATA_HEADERS) {
      const v = h[name];
      if (v !== undefined) metadata[name] = typeof v === 'string' ? v : v.join(', ');
    }
    let requestId = metadata['x-request-id'];
    if (requestId === undefined || !REQUEST_ID.test(requestId)) {
      requestId = randomUUID().replace(/-/g, '');
      metadata['x-request-id'] = requestId;
    }
    return {
      metadata,
      clientIp: proxies.clientIp(req.socket.remoteAddress ?? '', metadata['x-forwarded-for']),
      locale: pickLocale(metadata['accept-language'], config.defaultLocale),
      requestId,
    };
  };

  const send = (res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: unknown) => {
    const text = JSON.stringify(body);
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(text);
    res.writeHead(status, headers);
    res.end(text);
  };
  const sendRaw = (res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer | string) => {
    headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(status, headers);
    res.end(body);
  };

  const sendError = (res: ServerResponse, headers: OutgoingHttpHeaders, err: unknown, ctx: CallContext, route?: Route) => {
    if (res.destroyed) {
      // The client went away (typically mid-body): no one to answer, and not a server fault.
      log.debug({ err, requestId: ctx.requestId }, 'client closed the connection');
      return undefined;
    }
    if (res.headersSent) {
      // An extra route failed half-way through its answer: nothing sane can follow.
      log.error({ err, requestId: ctx.requestId }, 'error after the response started');
      res.destroy();
      return undefined;
    }
    const rs = toStatus(err, ctx.locale, log.child({ requestId: ctx.requestId, rpc: route?.rpc }));
    // The unread rest of an oversized body is not worth reading just to keep the connection.
    if (err instanceof BodyTooLarge) headers.connection = 'close';
    // RFC 6749 5.2: a client that authenticated with HTTP Basic and failed is told the scheme.
    if (CLIENT_AUTH_FAILURES.has(rs.reason) && /^basic /i.test(ctx.metadata.authorization ?? '')) {
      headers['www-authenticate'] = 'Basic realm="signet", charset="UTF-8"';
    }
    // RFC 6750 3.1 at the OpenID UserInfo endpoint: no token, no error code; a bad one, invalid_token.
    if (route?.rpc === USERINFO_RPC && rs.reason === 'unauthenticated') {
      headers['www-authenticate'] = bearerOf(ctx.metadata.authorization) ? 'Bearer error="invalid_token"' : 'Bearer';
    }
    // RetryInfo, for clients and proxies that read only HTTP (a 503 or 429 worth retrying).
    if (rs.retryInfo) headers['retry-after'] = String(rs.retryInfo.seconds);
    send(res, rs.httpStatus, headers, statusToJson(rs));
    return rs;
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, call?: ObservedCall): Promise<void> => {
    const ctx = contextOf(req);
    const headers: OutgoingHttpHeaders = {
      'x-request-id': ctx.requestId,
      // Every answer may carry a token or a user's data (RFC 6749 5.1 for the token endpoint).
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    let route: Route | undefined;
    // What the answer was, for the observer: "ok", or the reason rendered, and its gRPC code.
    let reason = 'ok';
    let code = 0;
    try {
      const method = req.method ?? '';
      if (method === 'OPTIONS') {
        if (cells) call?.route(cells.preflight);
        cors.preflight(req.headers, headers);
        res.writeHead(204, headers);
        res.end();
        return;
      }
      cors.apply(req.headers, headers);
      const url = originForm(req.url ?? '');
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const query = q < 0 ? '' : url.slice(q + 1);

      const x = extra.size > 0 ? extra.match(method, path) : undefined;
      if (x) {
        const extraCells = cells?.extra.get(x.route);
        if (extraCells) call?.route(extraCells);
        code = -1;
        const exchange: HttpExchange = {
          req,
          res,
          ctx,
          query,
          params: x.params,
          readBody: () => readBody(req, limit),
          sendJson: (status, body, more) => send(res, status, { ...headers, ...more }, body),
          send: (status, body, more) => sendRaw(res, status, { ...headers, ...more }, body),
        };
        await x.route.handle(exchange);
        reason = exchange.reason ?? (res.statusCode < 400 ? 'ok' : 'error');
        return;
      }
      const m = path.startsWith('/') ? table.match(method, path) : undefined;
      if (!m) {
        const allow = path.startsWith('/') ? [...table.allowed(path), ...extra.allowed(path)] : [];
        if (allow.length === 0) throw new SignetError('not_found', 'route_unknown');
        headers.allow = allow.join(', ');
        throw new HttpError('method_not_allowed', 'method_wrong', 405);
      }
      route = m.route;
      if (observer) call?.route(observer.rpc('rest', route.rpc));
      // Like grpc-js for a method the service does not implement: UNIMPLEMENTED, hence 501.
      if (!route.handler) throw new SignetError('method_not_allowed', 'rpc_unimplemented');
      const body =
        route.body === '' ? undefined : parseBody(await readBody(req, limit), req.headers['content-type'], route.rpc, route.request);
      const request = buildRequest(route, reg, query, body, m.params);
      const response = await route.handler(request, ctx);
      send(res, 200, headers, encodeMessage(route.response, response, reg));
    } catch (err) {
      const rs = sendError(res, headers, err, ctx, route);
      reason = rs?.reason ?? 'cancelled';
      code = rs?.code ?? 1;
    } finally {
      call?.end(reason, code, res.statusCode);
    }
  };

  return createServer((req, res) => {
    const call = cells && observer?.start(req.headers, cells.unrouted, req.method);
    (call ? call.run(() => serve(req, res, call)) : serve(req, res)).catch((err) => {
      // Only a failure while writing an error can land here; the socket is all that is left.
      log.error({ err }, 'http: request failed');
      res.destroy();
    });
  });
}

/** Absolute-form targets ("http://host/p?q", sent to proxies) reduced to "/p?q"; "*" to "". */
function originForm(url: string): string {
  if (url.startsWith('/')) return url;
  const scheme = url.indexOf('://');
  if (scheme < 0) return '';
  const slash = url.indexOf('/', scheme + 3);
  if (slash >= 0) return url.slice(slash);
  const q = url.indexOf('?', scheme + 3);
  return q < 0 ? '/' : `/${url.slice(q)}`;
}
