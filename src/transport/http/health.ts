// /healthz and /readyz, in the manner of Kubernetes' own endpoints: /healthz answers 200 while
// the process can answer at all (a liveness probe: restart it otherwise); /readyz answers 200 only
// when the instance should be sent traffic, else 503 naming what failed (a readiness probe, a
// load balancer's health check).
import type { Readiness } from '../../lifecycle/readiness.js';
import type { ExtraRoute } from './server.js';

export const HEALTH_PATHS = ['/healthz', '/readyz'] as const;

export function healthRoutes(readiness: Readiness): ExtraRoute[] {
  return [
    { method: 'GET', path: '/healthz', handle: (x) => x.sendJson(200, { status: 'alive' }) },
    {
      method: 'GET',
      path: '/readyz',
      async handle(x) {
        const r = await readiness.report();
        x.sendJson(
          r.ready ? 200 : 503,
          r.ready ? { status: 'ready', checks: r.checks } : { status: 'not_ready', failed: r.failed, checks: r.checks },
        );
      },
    },
  ];
}
