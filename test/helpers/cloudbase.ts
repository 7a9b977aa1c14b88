// What the CloudBase JS SDK (@cloudbase/oauth) needs to run against a test Signet in Node: an
// in-memory implementation of its storage interface, and a recording proxy that sits between the
// SDK and Signet so tests can assert what the SDK really put on the wire (undici's own
// Content-Type for string bodies included) and what Signet answered.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import type { AuthOptions } from '@cloudbase/oauth';
import { sha256Hex } from '../../src/domain/crypto/secrets.js';
import type { TestSignet } from './signet.js';

/** The SDK's `SimpleStorage` (not exported by the package under that name). */
export type SdkStorage = NonNullable<AuthOptions['storage']>;

/** A browser localStorage stand-in: the SDK's async and sync storage methods over one Map. */
export function memoryStorage(): SdkStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: async (k) => map.get(k) ?? null,
    setItem: async (k, v) => void map.set(k, v),
    removeItem: async (k) => void map.delete(k),
    getItemSync: (k) => map.get(k) ?? null,
    setItemSync: (k, v) => void map.set(k, v),
    removeItemSync: (k) => void map.delete(k),
  };
}

export interface Exchange {
  method: string;
  /** Path and query as sent, e.g. `/auth/v1/signin?client_id=web`. */
  url: string;
  path: string;
  query: Record<string, string>;
  /** Request headers as received (lower-case names), hop-by-hop ones included. */
  headers: Record<string, string>;
  /** Raw request body text ('' when none). */
  body: string;
  /** The body parsed as JSON, whatever the Content-Type said; undefined if it was not JSON. */
  json: unknown;
  status: number;
  response: unknown;
}

export interface RecordingProxy {
  url: string;
  exchanges: Exchange[];
  /** Exchanges since `mark()`. */
  since(mark: number): Exchange[];
  mark(): number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

const parse = (text: string): unknown => {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** Forwards every request to `target` unchanged and records both sides. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const forward: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k)) forward[k] = v;
    const u = new URL(req.url ?? '/', 'http://proxy');
    const ex: Exchange = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      headers,
      body,
      json: parse(body),
      status: 0,
      response: undefined,
    };
    exchanges.push(ex);
    try {
      const r = await fetch(target + ex.url, {
        method: ex.method,
        headers: forward,
        body: ex.method === 'GET' || ex.method === 'HEAD' ? undefined : body,
      });
      const text = await r.text();
      ex.status = r.status;
      ex.response = parse(text);
      const out: Record<string, string> = {};
      r.headers.forEach((v, k) => {
        if (!HOP_BY_HOP.has(k) && k !== 'content-encoding') out[k] = v;
      });
      res.writeHead(r.status, out).end(text);
    } catch (err) {
      ex.status = 502;
      res.writeHead(502, { 'content-type': 'text/plain' }).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    mark: () => exchanges.length,
    since: (mark) => exchanges.slice(mark),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The rejection of a promise that must fail (the SDK throws plain objects, not Errors). */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('the SDK call resolved but was expected to reject');
}

/** The letters Signet's image captcha draws from. */
const CAPTCHA_ALPHABET = 'abcdefhjkmnpqrtwxy34678';

/**
 * The person in front of a captcha image, played by brute force: the answer is one of 23^4
 * strings, and the store holds its HMAC under a key the test instance lets us read.
 */
export async function solveCaptcha(s: TestSignet, token: string): Promise<string> {
  const raw = await s.running.kv.get(`captcha:{${sha256Hex(token)}}`);
  const { a } = JSON.parse(raw!) as { a: string };
  const key = s.running.deps.hmacKey;
  for (const c1 of CAPTCHA_ALPHABET)
    for (const c2 of CAPTCHA_ALPHABET)
      for (const c3 of CAPTCHA_ALPHABET)
        for (const c4 of CAPTCHA_ALPHABET) {
          const guess = c1 + c2 + c3 + c4;
          if (createHmac('sha256', key).update(`captcha\n${token}\n${guess}`).digest('hex') === a) return guess;
        }
  throw new Error('unsolvable captcha');
}
