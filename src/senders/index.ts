import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { CodeSender } from '../domain/senders.js';
import { LogSender } from './log.js';
import { WebhookSender } from './webhook.js';

export function createSender(cfg: Config['sender'], log: Logger): CodeSender {
  switch (cfg.kind) {
    case 'log':
      return new LogSender(log);
    case 'webhook':
      // loadConfig refuses webhook without both.
      if (!cfg.webhookUrl || !cfg.webhookSecret) throw new Error('the webhook code sender needs a URL and a secret');
      return new WebhookSender({ url: cfg.webhookUrl, secret: cfg.webhookSecret });
    default:
      throw new Error(`code sender ${cfg.kind as string} is not available`);
  }
}
