// Where verification codes go. Implementations live in src/senders; the domain only knows this.
import type { Locale } from './model.js';

export interface CodeMessage {
  channel: 'sms' | 'email';
  /** E.164 phone number or lower-cased e-mail address. */
  to: string;
  code: string;
  usage: string;
  tenantId: string;
  expiresInSeconds: number;
  locale: Locale;
}

export interface CodeSender {
  readonly name: string;
  /** Rejects when the provider did not accept the message. */
  send(message: CodeMessage): Promise<void>;
}
