// Wiring: config → storage → domain → transports. `startSignet` is what tests and the bench
// use (ports may be 0); `serve` adds signal handling for the CLI.
import { endSessionRoutes } from './transport/http/oidc-logout.js';
import { authorizeRoutes } from './transport/http/pages/authorize.js';
import { deviceRoutes } from './transport/http/pages/device.js';
import * as grpc from '@grpc/grpc-js';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { sharedIssuerWarning, type Config } from './config.js';
import { createLogger } from './logger.js';
import { applyV8Flags, signetV8Flags } from './v8-flags.js';
import { databaseKind, databaseProbes, openDatabase } from './storage/prisma/index.js';
import { openKeyValueStore, type ScriptableKeyValueStore } from './storage/kv.js';
import { sharedStores } from './storage/kv/index.js';
import type { Deps } from './domain/deps.js';
import { systemClock, type Clock } from './domain/clock.js';
import { DOMAIN_SETTINGS, MAX_TOKEN_TTL_SECONDS } from './domain/deps.js';
import { KeyRing } from './domain/keys/signing-keys.js';
import { TransportKeyRing } from './domain/keys/transport-keys.js';
import { PasswordHasher } from './domain/accounts/passwords.js';
import { Directory } from './domain/accounts/directory.js';
import { AuditLog } from './domain/audit.js';
import { Lockout } from './domain/defence/lockout.js';
import { RateLimiter } from './domain/defence/ratelimit.js';
import { deriveKey } from './domain/crypto/secrets.js';
import { createSender } from './senders/index.js';
import { adminToken as loadAdminToken, keyEncryptionKey } from './secrets-files.js';
import { bootstrap } from './bootstrap.js';
import { authHandlers, countedAtTheLine } from './transport/auth-handlers.js';
import { checkedAtTheLine } from './transport/line.js';
import { adminHandlers, requireAdminToken } from './transport/admin-handlers.js';
import { addService } from './transport/grpc/server.js';
import { createHttpServer, type ExtraRoute } from './transport/http/index.js';
import { hzeroRoutes } from './transport/http/hzero/index.js';
import { openApiRoutes } from './transport/http/openapi/index.js';
import { createRegistry } from './transport/registry.js';
import { TrustedProxies } from './transport/clientip.js';
import { AuthServiceDefinition, AuthServiceService } from './gen/signet/auth/v1/auth_service.js';
import { AdminServiceDefinition, AdminServiceService } from './gen/signet/auth/v1/admin_service.js';
import { AccountServiceDefinition, AccountServiceService } from './gen/signet/auth/v1/account_service.js';
import { accountHandlers } from './transport/account-handlers.js';
import type { ServiceHandlers } from './transport/context.js';
import { purgeExpiredAnonymous } from './domain/accounts/sign-up.js';
import { RedisKeyValueStore } from './storage/redis/index.js';
import {
  argon2Instrument,
  countAudit,
  createObserver,
  metricsRoute,
  observeStorage,
  observeStores,
  startTracing,
  watchDependencies,
  type Dialect,
} from './observability/index.js';
import { Readiness } from './lifecycle/readiness.js';
import { readinessChecks } from './lifecycle/checks.js';
import { stopper } from './lifecycle/drain.js';
import { handleStopSignals } from './lifecycle/signals.js';
import { addIntrospection } from './transport/grpc/introspection.js';
import { drainable } from './transport/http/drain.js';
import { healthRoutes } from './transport/http/health.js';

/** Metadata (headers) a gRPC call may carry: ample for a bearer token and the x-* headers. */
const GRPC_MAX_METADATA_BYTES = 16 * 1024;

export interface RunningSignet {
  ports: { grpc: number; http: number; admin: number; adminHttp: number };
  adminToken: string;
  deps: Deps;
  /** The key-value store under the shared-state ports (tests look at it; the domain never does). */
  kv: ScriptableKeyValueStore;
  /** Drains and stops (see lifecycle/drain.ts); `force` cuts the drain short. */
  close(opts?: { force?: boolean }): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** PostgreSQL schema to use (tests isolate themselves this way). */
  schema?: string;
  /** Key prefix in Redis (tests isolate themselves this way). */
  keyPrefix?: string;
  /** The domain's clock; tests pass a fake one. */
  clock?: Clock;
}

export async function runMigrations(config: Config, opts: StartOptions = {}): Promise<void> {
  const log = opts.logger ?? createLogger(config.logLevel);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: opts.schema, logger: log });
  try {
    await db.migrate();
  } finally {
    await db.close();
  }
}

export async function startSignet(config: Config, opts: StartOptions = {}): Promise<RunningSignet> {
  applyV8Flags(signetV8Flags(databaseKind(config.databaseUrl)));
  const log = opts.logger ?? createLogger(config.logLevel);
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    schema: opts.schema,
    logger: log,
    connectTimeoutMs: config.dependencyTimeoutMs,
  });
  await db.migrate();
  const clock = opts.clock ?? systemClock;
  // The in-process store expires keys by the domain's clock, so fake time moves its TTLs too.
  const kv = await openKeyValueStore({
    redisUrl: config.redisUrl,
    keyPrefix: opts.keyPrefix,
    logger: log,
    now: () => clock.now(),
    commandTimeoutMs: config.dependencyTimeoutMs,
  });
  const issuerWarning = sharedIssuerWarning(config);
  if (issuerWarning) log.warn(issuerWarning);
  const kek = await keyEncryptionKey(config.keyEncryptionKey, config.dataDir);
  // Metrics (and spans, when tracing was started) around every request and dependency call.
  const obs = createObserver();
  const storage = observeStorage(db.storage, obs, 'postgresql');
  const stores = observeStores(sharedStores(kv), obs, kv.shared ? 'redis' : 'memory');
  const deps: Deps = {
    storage,
    stores,
    keys: new KeyRing(storage.signingKeys, kek, config.signingAlg, MAX_TOKEN_TTL_SECONDS + 300, clock),
    transportKeys: new TransportKeyRing(storage.transportKeys, kek, config.transportKeys, clock),
    hasher: new PasswordHasher(config.argon2, argon2Instrument(obs)),
    sender: createSender(config.sender, log),
    lockout: new Lockout(stores.lockout, clock),
    limiter: new RateLimiter(stores.counters, config.defence, clock),
    audit: new AuditLog(storage.audit, log, clock, { maxBacklog: config.auditBacklogMax }),
    hmacKey: deriveKey(kek.toString('base64'), 'signet/hmac'),
    directory: new Directory(storage.clients, storage.tenants, clock),
    settings: pick(config, DOMAIN_SETTINGS),
    log,
    clock,
    now: () => new Date(clock.now()),
  };
  countAudit(deps.audit, obs);
  watchDependencies(obs, {
    argon2: deps.hasher,
    audit: deps.audit,
    dbPool: db.pool,
    redis: kv instanceof RedisKeyValueStore ? kv.client : undefined,
  });
  try {
    await deps.keys.init();
    await deps.transportKeys.init();
  } catch (err) {
    throw new Error('cannot open the signing and transport keys: every instance needs the same SIGNET_KEY_ENCRYPTION_KEY', { cause: err });
  }
  await bootstrap(deps, config.bootstrap);
  const token = await loadAdminToken(config.adminToken, config.dataDir);
  const readiness = new Readiness(readinessChecks({ database: databaseProbes(db), kv, keyRings: [deps.keys, deps.transportKeys] }), clock);
  // Keeps gRPC health watchers told of a dependency failing while nobody probes.
  readiness.refreshEvery(5000);

  const proxies = new TrustedProxies(config.trustedProxies);
  const grpcOpts = { log, defaultLocale: config.defaultLocale, proxies, observer: obs };
  const registry = createRegistry();
  const auth = checkedAtTheLine(AuthServiceDefinition, authHandlers(deps), registry, countedAtTheLine(deps));
  const account = checkedAtTheLine(AccountServiceDefinition, accountHandlers(deps), registry, countedAtTheLine(deps));
  // The admin token is checked before anything of the request is looked at.
  const adminH: ServiceHandlers = requireAdminToken(checkedAtTheLine(AdminServiceDefinition, adminHandlers(deps), registry), token);

  // The same budget as the REST body limit; metadata bounded too. grpc-js answers what is over
  // either with RESOURCE_EXHAUSTED before any handler runs.
  const grpcLimits = { 'grpc.max_receive_message_length': config.bodyLimitBytes, 'grpc.max_metadata_size': GRPC_MAX_METADATA_BYTES };
  const grpcServer = new grpc.Server(grpcLimits);
  addService(grpcServer, AuthServiceService, auth, grpcOpts);
  addService(grpcServer, AccountServiceService, account, grpcOpts);
  const publicHealth = addIntrospection(grpcServer, [AuthServiceDefinition, AccountServiceDefinition], readiness);
  const adminGrpc = new grpc.Server(grpcLimits);
  addService(adminGrpc, AdminServiceService, adminH, grpcOpts);
  const adminHealth = addIntrospection(adminGrpc, [AdminServiceDefinition], readiness);
  const httpOpts = { registry, config, logger: log, proxies, observer: obs };
  const as = (dialect: Dialect, routes: ExtraRoute[]) => routes.map((r) => ({ ...r, dialect }));
  const publicServices = [
    { definition: AuthServiceDefinition, handlers: auth },
    { definition: AccountServiceDefinition, handlers: account },
  ];
  const adminServices = [{ definition: AdminServiceDefinition, handlers: adminH }];
  const http = createHttpServer({
    ...httpOpts,
    services: publicServices,
    extraRoutes: [
      ...healthRoutes(readiness),
      ...as('hzero', hzeroRoutes(deps, auth)),
      ...as('pages', [...endSessionRoutes(deps), ...authorizeRoutes(deps), ...deviceRoutes(deps)]),
      ...openApiRoutes('public', publicServices, registry),
    ],
  });
  const adminHttp = createHttpServer({
    ...httpOpts,
    services: adminServices,
    extraRoutes: [...healthRoutes(readiness), ...openApiRoutes('admin', adminServices, registry), metricsRoute(obs)],
  });
  const httpDrain = drainable(http);
  const adminHttpDrain = drainable(adminHttp);

  const ports = {
    grpc: await bindGrpc(grpcServer, config.host, config.grpcPort),
    http: await listen(http, config.host, config.httpPort),
    admin: await bindGrpc(adminGrpc, config.adminHost, config.adminPort),
    adminHttp: await listen(adminHttp, config.adminHost, config.adminHttpPort),
  };
  log.info({ ports, database: db.kind, kv: kv.shared ? 'redis' : 'memory' }, 'signet listening');

  const retention = setInterval(() => void deps.audit.purge(config.auditRetentionDays), 3600_000).unref();
  void deps.audit.purge(config.auditRetentionDays);
  // Anonymous users never upgraded by sign-up are deleted once expired (with their sessions).
  const purgeAnonymous = () =>
    purgeExpiredAnonymous(deps).then(
      (n) => n > 0 && log.info({ purged: n }, 'expired anonymous users purged'),
      (err: unknown) => log.warn({ err }, 'anonymous purge failed'),
    );
  const anonymousPurge = setInterval(() => void purgeAnonymous(), 3600_000).unref();
  void purgeAnonymous();

  const { close } = stopper(
    {
      announce: () => {
        readiness.drain();
        httpDrain.closeAfterAnswers();
        adminHttpDrain.closeAfterAnswers();
      },
      stopAccepting: async () => {
        const drained = Promise.all([shutdownGrpc(grpcServer), shutdownGrpc(adminGrpc), httpDrain.drain(), adminHttpDrain.drain()]);
        publicHealth.endWatches();
        adminHealth.endWatches();
        await drained;
      },
      cut: () => {
        grpcServer.forceShutdown();
        adminGrpc.forceShutdown();
        httpDrain.cut();
        adminHttpDrain.cut();
      },
      release: async () => {
        clearInterval(retention);
        clearInterval(anonymousPurge);
        await deps.audit.flush();
        await kv.close();
        await db.close();
      },
    },
    { delayMs: config.shutdownDelayMs, graceMs: config.shutdownGraceMs },
    log,
  );
  return { ports, adminToken: token, deps, kv, close };
}

/** `signet serve`: start, and drain on SIGTERM / SIGINT (lifecycle/signals.ts says how often). */
export async function serve(config: Config): Promise<RunningSignet> {
  const log = createLogger(config.logLevel);
  // Off unless the OTEL_* variables ask for it; the spans still buffered leave on close.
  const tracing = await startTracing(process.env);
  const running = await startSignet(config, { logger: log });
  if (tracing) {
    log.info('tracing on (OpenTelemetry)');
    const close = running.close;
    running.close = (opts) =>
      close(opts).finally(() => tracing.shutdown().catch((err: unknown) => log.warn({ err }, 'trace export failed')));
  }
  handleStopSignals(
    process,
    {
      drain: () =>
        void running.close().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        ),
      force: () => void running.close({ force: true }),
    },
    log,
  );
  return running;
}

/** A copy, so that the domain holds only its own settings (not the admin token or the key-encryption key). */
function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, from[k]])) as Pick<T, K>;
}

function bindGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

function listen(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** GOAWAY on every connection; resolves once the calls in flight have finished. */
const shutdownGrpc = (s: grpc.Server) => new Promise<void>((r) => s.tryShutdown(() => r()));
