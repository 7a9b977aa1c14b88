// Leaves nothing behind: children stopped, the run's PostgreSQL schema dropped, its Redis keys
// deleted, the data directory and the compiled build removed. Runs once, whatever ended the run.
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { KEY_PREFIX, PG_URL, REDIS_URL, SCHEMA, log, needsSignet } from './env.js';
import { children, stopChild } from './children.js';
import { removeBuild } from './build.js';

let cleanedUp = false;
export const runDirs: { dataDir?: string } = {};

export async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const c of [...children]) await stopChild(c).catch(() => undefined);
  if (needsSignet()) {
    try {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
      } finally {
        await c.end();
      }
    } catch (err) {
      log(`could not drop schema ${SCHEMA}: ${String(err)}`);
    }
    try {
      const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      let cursor = '0';
      let deleted = 0;
      for (let i = 0; i < 100_000; i++) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 1000);
        if (keys.length) deleted += await redis.unlink(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
      await redis.quit();
      log(`dropped schema ${SCHEMA}, deleted ${deleted} Redis keys under ${KEY_PREFIX}`);
    } catch (err) {
      log(`could not clean Redis prefix ${KEY_PREFIX}: ${String(err)}`);
    }
  }
  if (runDirs.dataDir) rmSync(runDirs.dataDir, { recursive: true, force: true });
  removeBuild();
}
