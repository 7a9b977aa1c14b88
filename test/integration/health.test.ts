// Health (HTTP /healthz and /readyz, grpc.health.v1), readiness during the drain, and gRPC
// reflection, on a real Signet over PostgreSQL + Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisKeyValueStore } from '../../src/storage/redis/index.js';
import { FakeClock } from '../helpers/clock.js';
import { withPg } from '../helpers/db.js';
import { filesOf, healthProbe, listServices, type HealthProbe } from '../helpers/introspection.js';
import { dropSchema, get, startTestSignet, type TestSignet } from '../helpers/signet.js';

const AUTH = 'signet.auth.v1.AuthService';
const ACCOUNT = 'signet.auth.v1.AccountService';
const ADMIN = 'signet.auth.v1.AdminService';
const HEALTH = 'grpc.health.v1.Health';
const NOT_FOUND = 5;

describe('health and reflection', () => {
  let s: TestSignet;
  let pub: HealthProbe;
  let admin: HealthProbe;
  const clock = FakeClock.midMinute();
  /** Readiness reports are reused for a second; the fake clock makes the next probe fresh. */
  const fresh = () => clock.advance(1000);

  beforeAll(async () => {
    s = await startTestSignet({ backend: 'postgres', clock });
    pub = healthProbe(s.running.ports.grpc);
    admin = healthProbe(s.running.ports.admin);
  });
  afterAll(async () => {
    pub?.close();
    admin?.close();
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('answers /healthz and /readyz on the public and the admin listener', async () => {
    for (const base of [s.http, s.admin]) {
      expect(await get(base, '/healthz')).toMatchObject({ status: 200, body: { status: 'alive' } });
      const ready = await get(base, '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok', keys: 'ok', redis: 'ok' } });
      expect(ready.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('serves grpc.health.v1 for the listener and each of its services', async () => {
    expect(await pub.check('')).toBe('SERVING');
    expect(await pub.check(AUTH)).toBe('SERVING');
    expect(await pub.check(ACCOUNT)).toBe('SERVING');
    expect(await pub.check(ADMIN)).toBe(NOT_FOUND);
    expect(await admin.check('')).toBe('SERVING');
    expect(await admin.check(ADMIN)).toBe('SERVING');
    expect(await admin.check(AUTH)).toBe(NOT_FOUND);
  });

  it('lists each listener’s own services by reflection, and describes them with their imports', async () => {
    expect(await listServices(s.running.ports.grpc)).toEqual([HEALTH, ACCOUNT, AUTH]);
    expect(await listServices(s.running.ports.admin)).toEqual([HEALTH, ADMIN]);
    const signIn = await filesOf(s.running.ports.grpc, { file_containing_symbol: `${AUTH}.SignIn` });
    expect(signIn).toEqual(expect.arrayContaining(['signet/auth/v1/auth_service.proto', 'signet/auth/v1/token.proto']));
    // The imports grpcurl then asks for by name, options included.
    for (const file of ['google/api/annotations.proto', 'google/api/http.proto', 'google/protobuf/descriptor.proto']) {
      expect(await filesOf(s.running.ports.grpc, { file_by_filename: file })).toContain(file);
    }
    expect(await filesOf(s.running.ports.grpc, { file_containing_symbol: ADMIN })).toEqual({ error: NOT_FOUND });
    expect(await filesOf(s.running.ports.admin, { file_containing_symbol: HEALTH })).toEqual([expect.stringMatching(/health/)]);
  });

  it('is not ready while a migration of this build is missing from the database, and says so', async () => {
    const mark = (rolledBack: boolean) =>
      withPg((c) =>
        c.query(
          `UPDATE "${s.schema}"."_prisma_migrations" SET rolled_back_at = ${rolledBack ? 'now()' : 'NULL'}
            WHERE migration_name = (SELECT max(migration_name) FROM "${s.schema}"."_prisma_migrations")`,
        ),
      );
    await mark(true);
    try {
      fresh();
      const r = await get(s.http, '/readyz');
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ status: 'not_ready', failed: ['migrations'], checks: { migrations: 'pending', database: 'ok' } });
      expect(await pub.check('')).toBe('NOT_SERVING');
      expect(await admin.check(ADMIN)).toBe('NOT_SERVING');
      expect((await get(s.http, '/healthz')).status).toBe(200);
    } finally {
      await mark(false);
    }
    fresh();
    expect((await get(s.http, '/readyz')).status).toBe(200);
    expect(await pub.check(AUTH)).toBe('SERVING');
  });

  it('is not ready while Redis cannot be reached', async () => {
    const { client } = s.running.kv as unknown as RedisKeyValueStore;
    client.disconnect();
    try {
      fresh();
      const r = await get(s.http, '/readyz');
      expect(r.status).toBe(503);
      expect(r.body.failed).toEqual(['redis']);
      expect(['unreachable', 'timeout']).toContain(r.body.checks.redis);
    } finally {
      await client.connect();
    }
    fresh();
    expect((await get(s.http, '/readyz')).status).toBe(200);
  });
});

describe('readiness during the drain', () => {
  it('turns false before the listeners close: health watchers are told, then their streams end', async () => {
    const s = await startTestSignet({ backend: 'postgres' });
    const pub = healthProbe(s.running.ports.grpc);
    try {
      const watch = pub.watch('');
      await watch.first;
      const closing = s.running.close();
      await watch.ended;
      expect(watch.statuses).toEqual(['SERVING', 'NOT_SERVING']);
      await closing;
    } finally {
      pub.close();
      await s.stop();
      await dropSchema(s.schema);
    }
  });

  it('answers "draining" to probes during the shutdown delay, with Connection: close, until forced', async () => {
    const s = await startTestSignet({ backend: 'postgres', env: { SIGNET_SHUTDOWN_DELAY_MS: '600000' } });
    const pub = healthProbe(s.running.ports.grpc);
    const admin = healthProbe(s.running.ports.admin);
    try {
      const closing = s.running.close();
      for (const base of [s.http, s.admin]) {
        const r = await get(base, '/readyz');
        expect(r).toMatchObject({ status: 503, body: { status: 'not_ready', failed: ['draining'] } });
        expect(r.headers.get('connection')).toBe('close');
        expect((await get(base, '/healthz')).status).toBe(200);
      }
      for (const service of ['', AUTH, ACCOUNT]) expect(await pub.check(service)).toBe('NOT_SERVING');
      expect(await admin.check(ADMIN)).toBe('NOT_SERVING');
      await s.running.close({ force: true });
      await closing;
    } finally {
      void s.running.close({ force: true });
      pub.close();
      admin.close();
      await s.stop();
      await dropSchema(s.schema);
    }
  });
});
