import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs. Secrets never reach here: the redact list is a second line of defence. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'signet' },
    redact: {
      paths: [
        'password',
        '*.password',
        'client_secret',
        '*.client_secret',
        'refresh_token',
        '*.refresh_token',
        'access_token',
        '*.access_token',
        'authorization',
        '*.authorization',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}
