// The code senders: the webhook against a local HTTP server (signature, body, failures, timeout).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { WebhookSender, webhookSignature } from '../../src/senders/webhook.js';
import { LogSender } from '../../src/senders/log.js';
import { createSender } from '../../src/senders/index.js';
import type { CodeMessage } from '../../src/domain/senders.js';

const SECRET = 'webhook-secret-0123456789';
const MESSAGE: CodeMessage = {
  channel: 'sms',
  to: '+8613800000000',
  code: '042042',
  usage: 'sign_in',
  tenantId: 'acme',
  expiresInSeconds: 300,
  locale: 'zh-CN',
};

interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What a receiver does: recompute the HMAC over "timestamp.body" and compare in constant time. */
function signatureValid(r: Received): boolean {
  const ts = String(r.headers['x-signet-timestamp']);
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${ts}.${r.body}`).digest('hex')}`);
  const given = Buffer.from(String(r.headers['x-signet-signature']));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

describe('WebhookSender', () => {
  let server: Server;
  let url: string;
  let received: Received[];
  let respond: (res: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ method: req.method!, headers: req.headers, body: Buffer.concat(chunks).toString() });
        respond(res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?key=x`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    received = [];
    respond = (res) => res.writeHead(204).end();
  });

  it('POSTs the documented JSON with a verifiable signature and timestamp', async () => {
    await new WebhookSender({ url, secret: SECRET, now: () => 1_764_000_000 }).send(MESSAGE);
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r.method).toBe('POST');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-signet-timestamp']).toBe('1764000000');
    expect(JSON.parse(r.body)).toEqual({
      channel: 'sms',
      to: '+8613800000000',
      code: '042042',
      usage: 'sign_in',
      tenant_id: 'acme',
      expires_in: 300,
      locale: 'zh-CN',
    });
    expect(r.headers['x-signet-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signatureValid(r)).toBe(true);
    expect(r.headers['x-signet-signature']).toBe(webhookSignature(SECRET, '1764000000', r.body));
  });

  it('signs the timestamp too: a replayed body under another timestamp does not verify', async () => {
    await new WebhookSender({ url, secret: SECRET }).send(MESSAGE);
    const [r] = received;
    expect(Number(r.headers['x-signet-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
    expect(signatureValid({ ...r, headers: { ...r.headers, 'x-signet-timestamp': '1' } })).toBe(false);
    expect(signatureValid({ ...r, body: r.body.replace('042042', '000000') })).toBe(false);
  });

  it('throws on a non-2xx answer, naming the status but not the URL', async () => {
    respond = (res) => res.writeHead(502).end('upstream says no');
    const err = await new WebhookSender({ url, secret: SECRET }).send(MESSAGE).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('code webhook answered HTTP 502');
    respond = (res) => res.writeHead(302, { location: 'http://example.com/' }).end();
    await expect(new WebhookSender({ url, secret: SECRET }).send(MESSAGE)).rejects.toThrow();
  });

  it('gives up after the timeout', async () => {
    respond = () => undefined; // never answers
    const started = Date.now();
    await expect(new WebhookSender({ url, secret: SECRET, timeoutMs: 200 }).send(MESSAGE)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('throws when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(new WebhookSender({ url: `http://127.0.0.1:${port}/`, secret: SECRET }).send(MESSAGE)).rejects.toThrow();
  });
});

describe('createSender', () => {
  const log = pino({ level: 'silent' });

  it('makes the configured sender', () => {
    expect(createSender({ kind: 'log' }, log)).toBeInstanceOf(LogSender);
    const s = createSender({ kind: 'webhook', webhookUrl: 'http://127.0.0.1:1/', webhookSecret: SECRET }, log);
    expect(s).toBeInstanceOf(WebhookSender);
    expect(s.name).toBe('webhook');
    expect(() => createSender({ kind: 'webhook' }, log)).toThrow(/URL and a secret/);
  });
});
