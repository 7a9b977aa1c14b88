// Container start-up (SIGNET_BOOTSTRAP_*), restarts on the same data, and draining on shutdown,
// on the embedded default.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startTestSignet } from '../helpers/signet.js';

describe('bootstrap and shutdown (embedded)', () => {
  let dataDir: string;
  const env = {
    DATABASE_URL: '',
    SIGNET_ADMIN_TOKEN: '',
    SIGNET_KEY_ENCRYPTION_KEY: '',
    SIGNET_BOOTSTRAP_TENANT: 'main',
    SIGNET_BOOTSTRAP_CLIENT_ID: 'app',
    SIGNET_BOOTSTRAP_CLIENT_PUBLIC: 'true',
    SIGNET_BOOTSTRAP_USERNAME: 'root',
    SIGNET_BOOTSTRAP_PASSWORD: 'bootstrap-password',
  };
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'signet-boot-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates the tenant, client and user once, keeps them across restarts, and writes secrets 0600', { timeout: 120_000 }, async () => {
    const first = await startTestSignet({ backend: 'embedded', dataDir, env });
    const a = await post(first.http, '/auth/v1/signin?client_id=app', { username: 'root', password: 'bootstrap-password' });
    expect(a.status).toBe(200);
    await first.stop();
    for (const f of ['admin-token', 'master.key']) expect((await stat(path.join(dataDir, f))).mode & 0o777).toBe(0o600);

    const second = await startTestSignet({ backend: 'embedded', dataDir, env });
    try {
      const b = await post(second.http, '/auth/v1/signin?client_id=app', { username: 'root', password: 'bootstrap-password' });
      expect(b.status).toBe(200);
      expect(b.body.sub).toBe(a.body.sub);
      // The signing key survived the restart: the old refresh token still works.
      const r = await post(second.http, '/auth/v1/token', {
        client_id: 'app',
        grant_type: 'refresh_token',
        refresh_token: a.body.refresh_token,
      });
      expect(r.status).toBe(200);
    } finally {
      await second.stop();
    }
  });

  it('finishes calls in flight when it shuts down, then refuses new ones', async () => {
    const s = await startTestSignet({
      backend: 'embedded',
      dataDir,
      // Real argon2 cost, so the sign-ins are still running when close() is called.
      env: { ...env, SIGNET_ARGON2_MEMORY_KIB: '19456', SIGNET_ARGON2_ITERATIONS: '2' },
    });
    // Close once all four requests are inside the server, comparing passwords.
    const hasher = s.running.deps.hasher;
    const verify = hasher.verify.bind(hasher);
    let entered = 0;
    hasher.verify = (h, p) => (entered++, verify(h, p));
    const inflight = Array.from({ length: 4 }, () =>
      post(s.http, '/auth/v1/signin?client_id=app', { username: 'root', password: 'bootstrap-password' }),
    );
    while (entered < 4) await new Promise((r) => setTimeout(r, 1));
    const closing = s.stop();
    const answers = await Promise.all(inflight);
    await closing;
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await expect(fetch(`${s.http}/.well-known/jwks.json`)).rejects.toThrow();
  });
});
