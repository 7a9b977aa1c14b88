// policy_overhead_signin: what the brute-force checks add to a successful sign-in, in server CPU
// per sign-in (steadier than rates on a shared machine). Three sides, each its own Signet child
// started for this figure (same runtime, same age, same warm-up) and its own fresh users:
//  - on:          default policy (lockout on), the bench's limits (request rate limits and per-IP
//                 failure counts on, thresholds out of reach), as every other figure runs;
//  - lockout_off: the bench's limits, a tenant with `lockout_enabled: false` (isolates lockout);
//  - off:         rate limits and per-IP failure thresholds at 0 (off), the tenant without
//                 lockout: no policy check at all.
// The three sides sign in AT THE SAME TIME, in rounds of a fixed batch each, so that whatever else
// loads the machine loads every side alike; each side's cost is its child's CPU (/proc, all
// threads) from an idle point before the round to an idle point after it (no window edges).
import { performance } from 'node:perf_hooks';
import { POLICY_S, PASSWORD, RATE_LIMITS, TENANT, log, round, sleep } from './env.js';
import { serverCfg, type QuietState } from './figures.js';
import { cpuSeconds, waitQuiet, QUIET_CORES } from './machine.js';
import { httpJson, pool } from './net.js';
import { createUser, tenantWithClient } from './seed.js';
import { startSignetChild, stopChild, type Signet } from './children.js';
import type { ServerRuntime } from './build.js';

const USERS = 8;
const ROUNDS = 6;
const OFF_TENANT = 'bench-policy-off';
const LIMITS_OFF = {
  SIGNET_RATE_LIMIT_IP_PER_MINUTE: '0',
  SIGNET_RATE_LIMIT_CLIENT_PER_MINUTE: '0',
  SIGNET_IP_FAILURES_CAPTCHA: '0',
  SIGNET_IP_FAILURES_BLOCK: '0',
};
const SIDES = ['on', 'lockout_off', 'off'] as const;
type SideName = (typeof SIDES)[number];

interface Side {
  s: Signet;
  client: string;
  users: string[];
  rounds: Array<{ ok: number; errors: number; wall_s: number; server_s: number | null; main_s: number | null }>;
  firstError?: string;
}

/** One batch: every user signs in `perUser` times in sequence, users in parallel. */
async function batch(side: Side, perUser: number) {
  let ok = 0;
  let errors = 0;
  const t0 = performance.now();
  await pool(side.users, side.users.length, async (username) => {
    for (let i = 0; i < perUser; i++) {
      const r = await httpJson(`${side.s.http}/auth/v1/signin?client_id=${side.client}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: PASSWORD }),
      });
      if (r.status === 200 && typeof r.body?.access_token === 'string') ok++;
      else {
        errors++;
        side.firstError ??= `HTTP ${r.status}: ${r.text.slice(0, 300)}`;
      }
    }
  });
  return { ok, errors, wall_s: (performance.now() - t0) / 1000 };
}

/** All sides at once, between idle points (300 ms after: the audit trail's 250 ms flush). */
async function measuredRound(sides: Side[], perUser: number, idle: number[]) {
  await sleep(300);
  const stop = cpuSeconds([...sides.map((x) => x.s.child.pid), ...idle]);
  const results = await Promise.all(sides.map((x) => batch(x, perUser)));
  await sleep(300);
  const c = stop();
  sides.forEach((x, i) => {
    x.rounds.push({ ...results[i], server_s: c.servers[i], main_s: c.server_main_threads[i] });
  });
  return c;
}

const perSignin = (side: Side, key: 'server_s' | 'main_s', only?: number) => {
  const rs = only === undefined ? side.rounds : [side.rounds[only]];
  const ok = rs.reduce((a, b) => a + b.ok, 0);
  const cpu = rs.reduce((a, b) => a + (b[key] ?? NaN), 0);
  return ok > 0 ? (cpu * 1000) / ok : NaN;
};
const pct = (a: number, b: number) => round(((a - b) / b) * 100, 2);

export async function policyOverheadSignin(runtime: ServerRuntime, main: Signet, dataDir: string): Promise<Record<string, unknown>> {
  log('policy_overhead_signin: starting three Signet children (on / lockout off / all off)');
  const started = await Promise.allSettled([
    startSignetChild(runtime, { dataDir, label: 'signet-policy-on' }),
    startSignetChild(runtime, { dataDir, label: 'signet-policy-lockout-off' }),
    startSignetChild(runtime, { dataDir, label: 'signet-policy-off', overrides: LIMITS_OFF }),
  ]);
  const up = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const failed = started.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
    const [onChild, loChild, offChild] = up;
    const offClient = await tenantWithClient(main, OFF_TENANT, { lockout_enabled: false });
    const users = (p: string) => Array.from({ length: USERS }, (_, i) => `bench-policy-${p}-${i}`);
    const sides: Record<SideName, Side> = {
      on: { s: onChild, client: 'web', users: users('on'), rounds: [] },
      lockout_off: { s: loChild, client: offClient, users: users('lo'), rounds: [] },
      off: { s: offChild, client: offClient, users: users('off'), rounds: [] },
    };
    await pool(sides.on.users, 4, (u) => createUser(main, u, TENANT));
    await pool([...sides.lockout_off.users, ...sides.off.users], 4, (u) => createUser(main, u, OFF_TENANT));
    const all = SIDES.map((n) => sides[n]);
    // Warm-up (JIT, connections, caches), all sides at once; the second batch times the rounds.
    await Promise.all(all.map((x) => batch(x, 2)));
    const warm = await Promise.all(all.map((x) => batch(x, 3)));
    const bad = all.find((x) => x.firstError);
    if (bad) throw new Error(`warm-up sign-in failed: ${bad.firstError}`);
    const rate = Math.min(...warm.map((w) => w.ok / w.wall_s)); // each side's rate with all three running
    const perUser = Math.max(6, Math.min(40, Math.round((rate * POLICY_S) / (ROUNDS * USERS))));
    const before: QuietState = await waitQuiet('policy_overhead_signin');
    log(
      `policy_overhead_signin: ${ROUNDS} rounds, 3 sides at once, ${USERS * perUser} sign-ins per side and round (${USERS} users in parallel)`,
    );
    let other = 0;
    let wall = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const c = await measuredRound(all, perUser, [main.child.pid]);
      const servers = c.servers.reduce<number>((a, b) => a + (b ?? 0), 0);
      if (c.machine !== null) other += Math.max(0, c.machine - servers - c.loadgen - c.postgres_redis);
      wall += c.wall_s;
    }
    const ms = (n: SideName, only?: number) => perSignin(sides[n], 'server_s', only);
    const mainMs = (n: SideName, only?: number) => perSignin(sides[n], 'main_s', only);
    const rounds = Array.from({ length: ROUNDS }, (_, r) => ({
      on_ms: round(ms('on', r), 3),
      lockout_off_ms: round(ms('lockout_off', r), 3),
      off_ms: round(ms('off', r), 3),
      overhead_pct: pct(ms('on', r), ms('off', r)),
      main_thread_ms: { on: round(mainMs('on', r), 3), lockout_off: round(mainMs('lockout_off', r), 3), off: round(mainMs('off', r), 3) },
    }));
    const per = rounds.map((x) => x.overhead_pct ?? NaN);
    const mean = per.reduce((a, b) => a + b, 0) / per.length;
    const sd = Math.sqrt(per.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, per.length - 1));
    const otherCores = wall > 0 ? round(other / wall) : null;
    const describe = (n: SideName) => {
      const x = sides[n];
      const ok = x.rounds.reduce((a, b) => a + b.ok, 0);
      const w = x.rounds.reduce((a, b) => a + b.wall_s, 0);
      return {
        server_cpu_ms_per_signin: round(ms(n), 3),
        server_main_thread_ms_per_signin: round(perSignin(x, 'main_s'), 3),
        ok,
        errors: x.rounds.reduce((a, b) => a + b.errors, 0),
        rate_per_s_with_all_three_running: round(ok / w, 1),
        pid: x.s.child.pid,
        ...(x.firstError ? { first_error: x.firstError } : {}),
      };
    };
    return {
      overhead_pct: pct(ms('on'), ms('off')),
      server_cpu_ms_per_signin: { on: round(ms('on'), 3), off: round(ms('off'), 3) },
      lockout_checks_pct: pct(ms('on'), ms('lockout_off')),
      rate_limit_and_ip_checks_pct: pct(ms('lockout_off'), ms('off')),
      overhead_pct_round_sd: round(sd, 2),
      overhead_pct_stderr: round(sd / Math.sqrt(per.length), 2),
      // The checks are Redis round trips and JavaScript on the event loop: their cost shows on
      // the main thread, without the argon2 work of the pool threads, whose cost varies most
      // with the load of others. A steadier cross-check of overhead_pct (slightly low if the
      // checks also cost GC or kernel time on other threads).
      main_thread_basis: {
        overhead_pct: pct(ms('off') + mainMs('on') - mainMs('off'), ms('off')),
        lockout_checks_pct: pct(ms('lockout_off') + mainMs('on') - mainMs('lockout_off'), ms('lockout_off')),
        rate_limit_and_ip_checks_pct: pct(ms('off') + mainMs('lockout_off') - mainMs('off'), ms('off')),
        main_thread_ms_per_signin: {
          on: round(mainMs('on'), 3),
          lockout_off: round(mainMs('lockout_off'), 3),
          off: round(mainMs('off'), 3),
        },
      },
      sides: { on: describe('on'), lockout_off: describe('lockout_off'), off: describe('off') },
      rounds,
      machine: { before, other_cores: otherCores, noisy: !before.quiet || (otherCores !== null && otherCores > QUIET_CORES) },
      config: {
        measure:
          "CPU of each side's Signet child (all threads, /proc) per successful sign-in, from an idle point before a round to an idle point after it (300 ms, the audit flush, included); sides run at the same time; the load generator is not in it",
        request: 'POST /auth/v1/signin?client_id=… {username,password} (right password), fetch keep-alive',
        users_per_side: USERS,
        round: `per side ${USERS} users in parallel, ${perUser} sign-ins each in sequence; the three sides at once`,
        rounds: ROUNDS,
        overhead_pct:
          '(on - off) / off * 100 over all rounds; lockout_checks_pct = (on - lockout_off) / lockout_off; rate_limit_and_ip_checks_pct = (lockout_off - off) / off',
        sides: {
          on: `tenant ${TENANT} (default policy: lockout on, captcha after 3 failures) via client web; the bench's limits`,
          lockout_off: `tenant ${OFF_TENANT} (lockout_enabled: false) via client ${offClient}; the bench's limits`,
          off: `tenant ${OFF_TENANT}; ${Object.entries(LIMITS_OFF)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        },
        children: 'three, started for this figure, same runtime, same warm-up (2 + 3 sign-ins per user); the main Signet child idles',
        ...serverCfg(),
        ...(RATE_LIMITS === 'off' ? { note: 'BENCH_RATE_LIMITS=off: the "on" side has no request rate limits either' } : {}),
      },
    };
  } finally {
    await Promise.all(up.map((x) => stopChild(x.child)));
  }
}
