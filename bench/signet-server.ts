// Child process for the bench: one Signet instance on 127.0.0.1 with ephemeral ports, PostgreSQL
// schema and Redis key prefix taken from BENCH_SCHEMA / BENCH_KEY_PREFIX, everything else from the
// SIGNET_* environment (loadConfig). Prints one line `BENCH_READY {"ports":…,"pid":…}` on stdout
// when listening; logs go to stderr. Stops on SIGTERM/SIGINT or when the parent closes stdin.
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { startSignet } from '../src/app.js';

const config = loadConfig(process.env);
const logger = pino({ level: config.logLevel, base: { service: 'signet' } }, pino.destination(2));
const running = await startSignet(config, {
  logger,
  schema: process.env.BENCH_SCHEMA || undefined,
  keyPrefix: process.env.BENCH_KEY_PREFIX || undefined,
});
process.stdout.write(`BENCH_READY ${JSON.stringify({ ports: running.ports, pid: process.pid })}\n`);

let stopping = false;
function stop(reason: string): void {
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
