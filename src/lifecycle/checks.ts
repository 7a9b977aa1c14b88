// The checks behind /readyz and gRPC health: database reachable with this build's migrations
// applied, Redis reachable (when configured), signing and transport keys loaded.
import type { DatabaseProbes } from '../storage/prisma/index.js';
import type { KeyValueStore } from '../storage/kv.js';
import type { ReadinessCheck } from './readiness.js';

/** A key that is never written: reading it is one round trip through the requests' own client. */
const PROBE_KEY = 'readyz:probe';

export interface ReadinessSources {
  database: DatabaseProbes;
  kv: KeyValueStore;
  keyRings: { hasActiveKey(): boolean }[];
}

export function readinessChecks(s: ReadinessSources): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [
    { name: 'database', probe: () => s.database.ping().then(() => 'ok') },
    { name: 'migrations', probe: async () => ((await s.database.pendingMigrations()).length === 0 ? 'ok' : 'pending') },
    { name: 'keys', probe: async () => (s.keyRings.every((k) => k.hasActiveKey()) ? 'ok' : 'not_loaded') },
  ];
  // The in-process store cannot be unreachable.
  if (s.kv.shared) checks.push({ name: 'redis', probe: () => s.kv.get(PROBE_KEY).then(() => 'ok') });
  return checks;
}
