// Hands codes to an operator's service (which talks to the SMS or mail provider) by HTTP POST.
// The body is signed like common webhooks (Stripe, Slack): HMAC-SHA256 over "timestamp.body", so
// the receiver can check origin and integrity and refuse replays older than it cares to accept.
import { createHmac } from 'node:crypto';
import type { CodeMessage, CodeSender } from '../domain/senders.js';

export interface WebhookSenderOptions {
  url: string;
  secret: string;
  /** Default 5000 ms: a slow provider must not hold the request (the client sees `unavailable`). */
  timeoutMs?: number;
  /** Seconds since the epoch; tests may pin it. */
  now?: () => number;
}

export const SIGNATURE_HEADER = 'x-signet-signature';
export const TIMESTAMP_HEADER = 'x-signet-timestamp';

/** The signature header's value for a timestamp and a body, as the receiver recomputes it. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class WebhookSender implements CodeSender {
  readonly name = 'webhook';
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: WebhookSenderOptions) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  }

  async send(m: CodeMessage): Promise<void> {
    const body = JSON.stringify({
      channel: m.channel,
      to: m.to,
      code: m.code,
      usage: m.usage,
      tenant_id: m.tenantId,
      expires_in: m.expiresInSeconds,
      locale: m.locale,
    });
    const timestamp = String(this.now());
    const res = await fetch(this.opts.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: webhookSignature(this.opts.secret, timestamp, body),
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // Drain the answer so the connection can be reused; its content is not ours to log.
    await res.arrayBuffer().catch(() => undefined);
    // The URL may hold credentials: the error names the status only.
    if (!res.ok) throw new Error(`code webhook answered HTTP ${res.status}`);
  }
}
