// From an HTTP request to the request message: query string, then body, then path variables, each
// overriding the one before (grpc-gateway sets path parameters last; the body beats the query
// string, which the CloudBase SDK uses for client_id alongside a JSON body).
import type { IncomingMessage } from 'node:http';
import { invalidArgument } from '../../domain/errors.js';
import { HttpError } from '../status.js';
import { readField, readMessage } from '../protojson.js';
import type { MessageInfo, Registry } from '../registry.js';
import type { Route } from './routes.js';

/**
 * `a=1&b.c=2&r=x&r=y&m[k]=v` → { a: '1', b: { c: '2' }, r: ['x', 'y'], m: { k: 'v' } }, in
 * null-prototype objects so that a key such as `__proto__.x` is just an unknown field.
 *
 * `name[key]=value` sets one entry of the map field `name` (or `a.b[key]` of a nested message's),
 * as grpc-gateway's query parser does: the key is everything between the first `[` after the
 * field path and the final `]`, taken as is (dots included); each key may be given once.
 */
export function parseQuery(qs: string): Record<string, unknown> {
  const root: Record<string, unknown> = Object.create(null);
  let start = 0;
  while (start <= qs.length) {
    let end = qs.indexOf('&', start);
    if (end < 0) end = qs.length;
    if (end > start) {
      const pair = qs.slice(start, end);
      const eq = pair.indexOf('=');
      const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
      if (key !== '') setPath(root, key, value);
    }
    start = end + 1;
  }
  return root;
}

function decodeComponent(s: string): string {
  if (s.includes('+')) s = s.replace(/\+/g, ' ');
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidArgument('', 'malformed percent-encoding in the query string');
  }
}

/** `field.path[map key]` (grpc-gateway: `^(.*)\[(.*)\]$`, the path itself without brackets). */
const MAP_ENTRY = /^([^[\]]+)\[(.*)\]$/s;

function setPath(root: Record<string, unknown>, key: string, value: string): void {
  const entry = MAP_ENTRY.exec(key);
  const names = (entry ? entry[1] : key).split('.');
  // A map entry walks one level further: the map is an object of its keys.
  if (entry) names.push(entry[2]);
  let node = root;
  for (let i = 0; i < names.length - 1; i++) {
    const next = node[names[i]];
    if (next === undefined) node = node[names[i]] = Object.create(null);
    else if (typeof next === 'object' && !Array.isArray(next)) node = next as Record<string, unknown>;
    else throw invalidArgument(key, 'conflicting query parameters');
  }
  const leaf = names[names.length - 1];
  const prev = node[leaf];
  if (entry && prev !== undefined) throw invalidArgument(key, 'a map key may be given only once');
  if (prev === undefined) node[leaf] = value;
  else if (typeof prev === 'string') node[leaf] = [prev, value];
  else if (Array.isArray(prev)) prev.push(value);
  else throw invalidArgument(key, 'conflicting query parameters');
}

export class BodyTooLarge extends HttpError {
  constructor(limit: number) {
    // 413 with resource_exhausted: what gRPC answers for a message over the receive limit.
    super('resource_exhausted', 'body_too_large', 413, { metadata: { limit_bytes: String(limit) } });
  }
}

/** The whole body, or BodyTooLarge as soon as it (or its Content-Length) passes limit. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(new BodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Stop buffering; the response carries Connection: close, so the rest is never read.
        req.pause();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * The body as JSON whatever its Content-Type: the CloudBase SDK posts JSON as text/plain. An
 * empty body is an empty message.
 */
export function parseJsonBody(buf: Buffer): unknown {
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw invalidArgument('', 'the body is not valid JSON');
  }
}

/** RPCs whose body may also be a form, as OAuth 2.0 clients send it (RFC 6749 3.2, RFC 7009 2.1). */
export const FORM_RPCS: ReadonlySet<string> = new Set([
  'signet.auth.v1.AuthService/Token',
  'signet.auth.v1.AuthService/Revoke',
  'signet.auth.v1.AuthService/Introspect',
  // A UserInfo POST (OIDC Core 5.3.1) may carry a form body; its parameters are ignored.
  'signet.auth.v1.AuthService/GetOidcUserInfo',
  'signet.auth.v1.AuthService/DeviceAuthorization',
]);

const isForm = (contentType: string | undefined) => /^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType ?? '');

/**
 * The body: a form where the RPC takes one and the Content-Type says so, else JSON whatever the
 * Content-Type (the CloudBase SDK posts JSON as text/plain).
 */
export function parseBody(buf: Buffer, contentType: string | undefined, rpc: string, info: MessageInfo): unknown {
  return FORM_RPCS.has(rpc) && isForm(contentType) ? parseFormBody(buf, info) : parseJsonBody(buf);
}

/**
 * An OAuth form body (RFC 6749 appendix B): UTF-8, form-urlencoded. A parameter sent twice is
 * refused (RFC 6749 3.1); parameters the message does not have are ignored, as OAuth servers
 * must; values are strings, as every field of the token and revocation requests is.
 */
export function parseFormBody(buf: Buffer, info: MessageInfo): Record<string, string> | undefined {
  const text = buf.toString('utf8');
  if (text.trim() === '') return undefined;
  const out: Record<string, string> = Object.create(null);
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(out, key)) throw invalidArgument(key, 'a parameter may be given only once');
    out[key] = value;
  }
  for (const key of Object.keys(out)) if (!info.byName.has(key)) delete out[key];
  return out;
}

/** The request message of route from its three sources. */
export function buildRequest(
  route: Route,
  reg: Registry,
  query: string,
  body: unknown,
  params: Record<string, unknown> | undefined,
): unknown {
  const info = route.request;
  let partial: Record<string, unknown> | undefined;
  if (query) {
    partial = readMessage(info, parseQuery(query), '', 'query', reg);
    // As in grpc-gateway, the query string cannot set the field the body is bound to.
    if (typeof route.body === 'object') delete partial[route.body.name];
  }
  if (body !== undefined) {
    const fromBody =
      route.body === '*'
        ? readMessage(info, body, '', 'json', reg)
        : typeof route.body === 'object'
          ? { [route.body.name]: readField(route.body, body, route.body.name, 'json', reg) }
          : undefined;
    if (fromBody && partial) agree(partial, fromBody);
    if (fromBody) partial = partial ? merge(info, partial, fromBody) : fromBody;
  }
  if (params) {
    const fromPath = readMessage(info, params, '', 'path', reg);
    partial = partial ? merge(info, partial, fromPath) : fromPath;
  }
  return info.codec!.fromPartial(partial ?? {});
}

/** Fields whose query and body values must agree (otherwise the body's value wins, as in grpc-gateway). */
const CREDENTIAL_FIELDS = ['client_id', 'client_secret'];

/**
 * The client's credentials in both the query and the body must say the same (the CloudBase SDK
 * repeats client_id in both): two different clients in one request are refused, not one picked.
 */
function agree(query: Record<string, unknown>, body: Record<string, unknown>): void {
  for (const name of CREDENTIAL_FIELDS) {
    const [q, v] = [query[name], body[name]];
    if (q !== undefined && v !== undefined && q !== v) {
      throw invalidArgument(name, 'given in the query and in the body with different values');
    }
  }
}

/** over's fields replace base's, except that two sub-messages merge field by field. */
function merge(info: MessageInfo, base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  for (const name of Object.keys(over)) {
    const f = info.byName.get(name)!;
    const a = base[name];
    const b = over[name];
    base[name] = f.message && !f.wellKnown && !f.map && !f.repeated && isPlain(a) && isPlain(b) ? merge(f.message, { ...a }, b) : b;
  }
  return base;
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);
