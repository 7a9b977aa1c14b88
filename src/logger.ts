import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** The active span's ids on every line logged inside it (nothing when tracing is off). pino merges into the result: a new one each time. */
function traceIds(): object {
  const c = trace.getActiveSpan()?.spanContext();
  return c && isSpanContextValid(c) ? { trace_id: c.traceId, span_id: c.spanId } : {};
}

/** Structured JSON logs. Secrets never reach here: the redact list is a second line of defence. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'signet' },
      mixin: traceIds,
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
    },
    destination,
  );
}
