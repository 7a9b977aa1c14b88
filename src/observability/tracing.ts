// OpenTelemetry tracing: off unless the standard OTEL_* variables ask for it. When on, the
// OpenTelemetry Node SDK is loaded (dynamically: a Signet without tracing never loads it) and
// configured by those same variables as the specification describes (exporter, protocol, endpoint,
// headers, sampler, propagators, resource). Only traces: metrics are Prometheus', at /metrics.
import { trace, type Tracer } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';

export interface Tracing {
  /** Sends the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

/**
 * On when a traces exporter is chosen (OTEL_TRACES_EXPORTER, other than "none") or an OTLP
 * endpoint is named (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), unless
 * OTEL_SDK_DISABLED=true.
 */
export function tracingRequested(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = list(env.OTEL_TRACES_EXPORTER);
  if (exporters.includes('none')) return false;
  return exporters.length > 0 || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

let started = false;

/** The tracer Signet's spans come from, when tracing was started in this process. */
export function activeTracer(): Tracer | undefined {
  return started ? trace.getTracer('signet') : undefined;
}

/**
 * Starts tracing when `env` asks for it (undefined otherwise). `spanProcessors` replace the
 * exporters the variables would choose (tests pass an in-memory one, and tracing starts).
 * Once per process: the SDK registers itself globally.
 */
export async function startTracing(env: Env, opts: { spanProcessors?: SpanProcessor[] } = {}): Promise<Tracing | undefined> {
  if (started) throw new Error('tracing is already started');
  if (!opts.spanProcessors && !tracingRequested(env)) return undefined;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const named = Boolean(env.OTEL_SERVICE_NAME?.trim()) || /(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '');
  const sdk = new NodeSDK({
    serviceName: named ? undefined : 'signet',
    spanProcessors: opts.spanProcessors,
    // Not the SDK's default OTLP metrics and logs: Signet's metrics are Prometheus' and its logs pino's.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  started = true;
  return {
    async shutdown() {
      started = false;
      await sdk.shutdown();
    },
  };
}
