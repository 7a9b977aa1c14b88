// `npm run bench`: throughput and latency of Signet over real gRPC and real HTTP on this machine,
// against PostgreSQL and Redis, next to the two things that bound it — the raw argon2id verify rate
// (sign-in) and node-oidc-provider 9 issuing ES256 JWTs (client_credentials) — measured with the
// same load generator in the same run; plus the brute-force figures (wrong passwords, locked
// accounts) and the cost of the policy checks on a successful sign-in. Every server under test
// runs in its own child process (Signet compiled with tsc and run by plain node, as in production,
// else under tsx: run.server_runtime says which); the load generators run here. Prints ONE JSON
// document on stdout; progress goes to stderr.
//
// Knobs (environment): BENCH_CONNECTIONS (32), BENCH_DURATION_S (7), BENCH_WARMUP_S (1),
// BENCH_ARGON2_S (5), BENCH_FIGURE_S (5: wrong-password and locked-account figures),
// BENCH_POLICY_S (30: measured seconds of the policy comparison), BENCH_GRPC_CHANNELS (4),
// BENCH_ONLY (comma list of phases: argon2, signin, signup, refresh, client_credentials, introspect, pages, lockout, policy,
// oidc), BENCH_CPU_PROF=1 (profile the Signet child, summary in the JSON), BENCH_BUDGET_S (250:
// phases that would not fit are skipped), BENCH_RATE_LIMITS=off (the request rate limits are
// otherwise on, raised out of reach), BENCH_SERVER_RUNTIME=tsx (skip compiling), BENCH_LOCKED_ACCOUNTS
// (8), DATABASE_URL, REDIS_URL, SIGNET_ARGON2_MEMORY_KIB / _ITERATIONS / _PARALLELISM (the
// parameters measured, server and ceiling).
//
// Modules: env (knobs, names, clock), figures (records), machine (/proc sampling, noise handling),
// load (closed loop, autocannon), net (single requests, gRPC clients), build (compiling the
// child), children (spawning servers), seed (admin REST), fig-* (one per figure group), report
// (targets), cleanup, main (the order of phases).
import { BUDGET_S, log } from './env.js';
import { cleanup } from './cleanup.js';
import { main } from './main.js';
import { evaluateTargets, out, targets } from './report.js';

// Hard stop: whatever happens, the bench ends on its own and prints what it has.
const hardStop = setTimeout(
  async () => {
    log(`hard time limit (${BUDGET_S + 10} s) reached: stopping`);
    out.aborted = 'hard time limit reached';
    await cleanup().catch(() => undefined);
    evaluateTargets();
    out.targets = targets;
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    process.exit(1);
  },
  (BUDGET_S + 10) * 1000,
);
hardStop.unref();

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, async () => {
    log(`${sig}: cleaning up`);
    await cleanup().catch(() => undefined);
    process.exit(130);
  });
}

main().then(
  () => {
    clearTimeout(hardStop);
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    process.exit(0);
  },
  async (err) => {
    log(`bench failed: ${(err as Error).stack ?? err}`);
    await cleanup().catch(() => undefined);
    out.failed = String((err as Error).message ?? err);
    evaluateTargets();
    out.targets = targets;
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    process.exit(1);
  },
);
