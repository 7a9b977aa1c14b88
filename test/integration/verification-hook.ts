// A local receiver for Signet's code webhook (SIGNET_CODE_SENDER=webhook): integration tests read
// the codes from it, and every delivery's signature is checked as a real receiver would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';

export const HOOK_SECRET = 'integration-webhook-secret-0123';

export interface Delivery {
  channel: string;
  to: string;
  code: string;
  usage: string;
  tenant_id: string;
  expires_in: number;
  locale: string;
}

export interface CodeHook {
  url: string;
  deliveries: Delivery[];
  /** Deliveries whose signature did not verify (must stay 0). */
  badSignatures: number;
  /** The HTTP status the next deliveries are answered with (204 by default). */
  status: number;
  /** The last code sent to `to`. */
  codeFor(to: string): string;
  /** Environment that points a Signet at this hook. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

export async function startCodeHook(): Promise<CodeHook> {
  const hook: CodeHook = {
    url: '',
    deliveries: [],
    badSignatures: 0,
    status: 204,
    codeFor(to) {
      const d = [...hook.deliveries].reverse().find((x) => x.to === to);
      if (!d) throw new Error(`no code was sent to ${to}`);
      return d.code;
    },
    env: () => ({ SIGNET_CODE_SENDER: 'webhook', SIGNET_CODE_WEBHOOK_URL: hook.url, SIGNET_CODE_WEBHOOK_SECRET: HOOK_SECRET }),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const ts = String(req.headers['x-signet-timestamp']);
      const expected = Buffer.from(`sha256=${createHmac('sha256', HOOK_SECRET).update(`${ts}.${body}`).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-signet-signature'] ?? ''));
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) hook.badSignatures++;
      else if (hook.status < 300) hook.deliveries.push(JSON.parse(body) as Delivery);
      res.writeHead(hook.status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codes`;
  return hook;
}
