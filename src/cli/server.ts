// signet serve | migrate: the only commands that run the server code (src/app.ts) in this process.
import { loadConfig, type Config } from '../config.js';
import type { CommandSpec } from './args.js';

/** What src/app.ts exports. */
export interface AppModule {
  serve(config: Config): Promise<{ close(): Promise<void> }>;
  runMigrations(config: Config): Promise<void>;
}

/**
 * Loaded lazily, so that admin commands never load the server (or its database driver). The
 * assignment makes the typecheck hold app.ts to the AppModule shape.
 */
export async function loadApp(): Promise<AppModule> {
  const app: AppModule = await import('../app.js');
  return app;
}

export function serverCommands(load: () => Promise<AppModule> = loadApp): CommandSpec[] {
  return [
    {
      path: ['serve'],
      summary: 'run the server: gRPC, REST and the admin API (configured by environment variables)',
      notes: ['Drains on SIGINT or SIGTERM: readiness false, calls in flight finished; a third signal stops at once.'],
      async run(ctx) {
        const config = loadConfig(ctx.env);
        const { serve } = await load();
        await serve(config);
        ctx.onServing();
      },
    },
    {
      path: ['migrate'],
      summary: 'apply pending database migrations, then exit',
      async run(ctx) {
        const config = loadConfig(ctx.env);
        const { runMigrations } = await load();
        await runMigrations(config);
        ctx.out.show({ migrated: true }, () => 'migrations applied');
      },
    },
  ];
}
