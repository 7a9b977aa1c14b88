// Child process for the bench: one Signet instance on 127.0.0.1 with ephemeral ports, PostgreSQL
// schema and Redis key prefix taken from BENCH_SCHEMA / BENCH_KEY_PREFIX, everything else from the
// SIGNET_* environment (loadConfig). BENCH_APP_DIR is where config.js and app.js live: tsc's
// output run with plain `node`, as production runs dist/, or src/ under `node --import tsx`.
// Prints one line `BENCH_READY {"ports":…,"pid":…,…}` on stdout when listening; logs go to
// stderr. Stops on SIGTERM/SIGINT or when the parent closes stdin.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';

const appDir = process.env.BENCH_APP_DIR;
if (!appDir) throw new Error('BENCH_APP_DIR is not set');
const load = (file) => import(pathToFileURL(path.join(appDir, file)).href);
const { loadConfig } = await load('config.js');
const { startSignet } = await load('app.js');
const { defaultMigrationsDir } = await load('storage/prisma/migrate.js');

const config = loadConfig(process.env);
const logger = pino({ level: config.logLevel, base: { service: 'signet' } }, pino.destination(2));
const running = await startSignet(config, {
  logger,
  schema: process.env.BENCH_SCHEMA || undefined,
  keyPrefix: process.env.BENCH_KEY_PREFIX || undefined,
});
const ready = {
  ports: running.ports,
  pid: process.pid,
  app_dir: appDir,
  // Found upwards from the module, as in production (dist/ next to prisma/).
  migrations_dir: defaultMigrationsDir(),
  exec_argv: process.execArgv,
};
process.stdout.write(`BENCH_READY ${JSON.stringify(ready)}\n`);

let stopping = false;
function stop(reason) {
  if (stopping) return;
  stopping = true;
  logger.info({ reason }, 'bench child stopping');
  const hard = setTimeout(() => process.exit(2), 5000);
  hard.unref();
  running.close().then(
    () => process.exit(0),
    (err) => {
      logger.error({ err }, 'close failed');
      process.exit(1);
    },
  );
}
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));
// The parent holds our stdin open; if it goes away, so do we (no orphaned servers).
process.stdin.on('end', () => stop('parent gone'));
process.stdin.on('error', () => stop('parent gone'));
process.stdin.resume();
