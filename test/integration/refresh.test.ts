// Refresh-token replay and the concurrent-refresh window across two instances sharing
// PostgreSQL and Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, get, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { FakeClock } from '../helpers/clock.js';

describe('refresh tokens across two instances (PostgreSQL + Redis)', () => {
  let a: TestSignet;
  let b: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  // One fake clock for both instances: the grace window is decided by the test, not by how long
  // 20 parallel refreshes take on a busy machine.
  const clock = new FakeClock(Date.now());
  const refresh = (s: TestSignet, refresh_token: string) =>
    post(s.http, '/auth/v1/token', { client_id: 'web', grant_type: 'refresh_token', refresh_token });
  const signin = (s: TestSignet) => post(s.http, '/auth/v1/signin?client_id=web', { username: 'alice', password: fx.password });

  beforeAll(async () => {
    a = await startTestSignet({ backend: 'postgres', env: { SIGNET_REFRESH_GRACE_SECONDS: '2' }, clock });
    b = await startTestSignet({
      backend: 'postgres',
      schema: a.schema,
      keyPrefix: a.keyPrefix,
      env: { SIGNET_REFRESH_GRACE_SECONDS: '2' },
      clock,
    });
    fx = await seed(a);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await dropSchema(a?.schema);
  });

  it('gives parallel refreshes on both instances the same new pair', async () => {
    const t = (await signin(a)).body;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => refresh(i % 2 ? a : b, t.refresh_token)));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((r) => r.body.refresh_token)).size).toBe(1);
  });

  it('treats a rotated token used after the window as a replay and ends the whole session', async () => {
    const t = (await signin(a)).body;
    const next = (await refresh(a, t.refresh_token)).body;
    clock.advance(2300);
    const replay = await refresh(b, t.refresh_token);
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant', code: 3 } });
    // The legitimate holder's newer token dies with the session, on either instance.
    expect((await refresh(a, next.refresh_token)).body.error).toBe('invalid_grant');
    expect((await get(b.http, '/auth/v1/user/me', { authorization: `Bearer ${next.access_token}` })).status).toBe(401);
  });

  it('refuses a token two generations old inside the window, ends the session, and audits why', async () => {
    const t0 = (await signin(a)).body;
    const t1 = (await refresh(a, t0.refresh_token)).body;
    const t2 = (await refresh(b, t1.refresh_token)).body;
    expect(t2.refresh_token).toBeTruthy();
    const replay = await refresh(b, t0.refresh_token);
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(JSON.stringify(replay.body)).not.toContain('replay');
    expect((await refresh(a, t2.refresh_token)).body.error).toBe('invalid_grant');
    await Promise.all([a.running.deps.audit.flush(), b.running.deps.audit.flush()]);
    const events = await get(a.admin, '/admin/v1/audit-events?event=token_failed&page_size=50', {
      authorization: `Bearer ${a.running.adminToken}`,
    });
    const details = (events.body.events as Array<{ detail: string }>).map((e) => e.detail);
    expect(details).toContain('replay_superseded');
    expect(details).toContain('session_revoked');
  });

  it('sees a session revoked on one instance as revoked on the other at once', async () => {
    const t = (await signin(a)).body;
    await post(a.http, '/auth/v1/user/signout', {}, { authorization: `Bearer ${t.access_token}` });
    expect((await get(b.http, '/auth/v1/user/me', { authorization: `Bearer ${t.access_token}` })).status).toBe(401);
  });
});
