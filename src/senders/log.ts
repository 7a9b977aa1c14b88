import type { Logger } from 'pino';
import type { CodeMessage, CodeSender } from '../domain/senders.js';

/** Development sender: the code goes to the log instead of a phone. Never use in production. */
export class LogSender implements CodeSender {
  readonly name = 'log';
  constructor(private readonly log: Logger) {}

  async send(m: CodeMessage): Promise<void> {
    this.log.warn({ channel: m.channel, to: m.to, usage: m.usage, code: m.code }, 'verification code (log sender: development only)');
  }
}
