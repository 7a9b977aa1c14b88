// Metrics and tracing, wired by src/app.ts. README "Metrics and tracing" lists what is exported.
import type { EventEmitter } from 'node:events';
import type { ExtraRoute } from '../transport/http/server.js';
import { CallObserver } from './calls.js';
import { Metrics, type MetricSources } from './metrics.js';
import { activeTracer } from './tracing.js';

export { CallObserver, type Carrier, type ObservedCall } from './calls.js';
export { Metrics, type Dialect, type RpcCells } from './metrics.js';
export { argon2Instrument, countAudit, observeStorage, observeStores } from './ports.js';
export { activeTracer, startTracing, tracingRequested, type Tracing } from './tracing.js';

/** A new registry for this Signet, with spans when tracing was started in this process. */
export function createObserver(): CallObserver {
  return new CallObserver(new Metrics(), activeTracer());
}

export interface Dependencies extends Omit<MetricSources, 'dbPool' | 'redisStatus'> {
  /** pg's Pool (PostgreSQL only). */
  dbPool?: MetricSources['dbPool'] & EventEmitter;
  /** The ioredis client (Redis only). */
  redis?: EventEmitter & { readonly status: string };
}

/** Gauges of the dependencies, and their connection errors counted as they are reported. */
export function watchDependencies(obs: CallObserver, d: Dependencies): void {
  const { metrics } = obs;
  metrics.watch({ ...d, redisStatus: d.redis && (() => d.redis?.status ?? '') });
  d.dbPool?.on('error', () => metrics.dbConnectionErrors.value++);
  d.redis?.on('error', () => metrics.redisConnectionErrors.value++);
}

/** GET /metrics: Prometheus' text format. On the admin listener only, like the admin API. */
export function metricsRoute(obs: CallObserver): ExtraRoute {
  return {
    method: 'GET',
    path: '/metrics',
    async handle(x) {
      const { contentType, text } = await obs.metrics.render();
      x.send(200, text, { 'content-type': contentType });
    },
  };
}
