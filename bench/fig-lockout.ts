// Brute-force figures (README "Brute-force defence"):
//  - wrong_password_rest: wrong passwords against accounts that never lock (a tenant with
//    `lockout_enabled: false`): each must cost one argon2 verify, so the rate is bounded by the
//    argon2 ceiling; every answer must be `invalid_password`.
//  - locked_account_rest: sign-ins (right and wrong passwords) to accounts locked beforehand by
//    five wrong passwords each: refused before the database and without hashing, one key lookup;
//    every answer must be `invalid_status`.
import { CONNECTIONS, FIGURE_S, PASSWORD, WARMUP_S, WRONG_PASSWORD, env, log, num } from './env.js';
import { figure, restCfg, serverCfg, type Figure } from './figures.js';
import { expectReason, restLoad, type RestRequest } from './load.js';
import { describeError, httpJson, pool } from './net.js';
import { createUser, tenantWithClient } from './seed.js';
import type { Signet } from './children.js';

const NOLOCK_TENANT = 'bench-nolock';
const LOCKED_TENANT = 'bench-locked';
const LOCKED_ACCOUNTS = num(env.BENCH_LOCKED_ACCOUNTS, 8);
const LOCK_SECONDS = 3600;
const MAX_FAILED = 5;

export interface LockoutSeed {
  nolockClient: string;
  nolockUsers: string[];
  lockedClient: string;
  lockedUsers: string[];
  locking: Record<string, unknown>;
}

const signinReq = (client: string, username: string, password: string): RestRequest => ({
  method: 'POST',
  path: `/auth/v1/signin?client_id=${client}`,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username, password }),
});

const send = (s: Signet, r: RestRequest) => httpJson(s.http + r.path, { method: r.method, headers: r.headers, body: r.body });

/** Tenants, clients and users of both figures; locks LOCKED_ACCOUNTS accounts. */
export async function seedLockout(s: Signet): Promise<LockoutSeed> {
  const nolockClient = await tenantWithClient(s, NOLOCK_TENANT, { lockout_enabled: false });
  const lockedClient = await tenantWithClient(s, LOCKED_TENANT, {
    captcha_after_failures: 0,
    max_failed_attempts: MAX_FAILED,
    lock_seconds: LOCK_SECONDS,
  });
  const nolockUsers = Array.from({ length: CONNECTIONS }, (_, i) => `bench-wrong-${i}`);
  const lockedUsers = Array.from({ length: LOCKED_ACCOUNTS }, (_, i) => `bench-locked-${i}`);
  await pool(nolockUsers, 4, (u) => createUser(s, u, NOLOCK_TENANT));
  await pool(lockedUsers, 4, (u) => createUser(s, u, LOCKED_TENANT));
  // Five wrong passwords per account, one after another: four `invalid_password`, then the lock.
  const sequences: string[][] = [];
  await pool(lockedUsers, 4, async (u, k) => {
    const seq: string[] = [];
    for (let i = 0; i < MAX_FAILED; i++) seq.push(String((await send(s, signinReq(lockedClient, u, WRONG_PASSWORD))).body?.error));
    sequences[k] = seq;
  });
  const expected = [...Array(MAX_FAILED - 1).fill('invalid_password'), 'invalid_status'].join(',');
  const bad = sequences.findIndex((q) => q.join(',') !== expected);
  if (bad >= 0) throw new Error(`locking ${lockedUsers[bad]}: answers ${sequences[bad].join(',')}, expected ${expected}`);
  log(
    `lockout: ${lockedUsers.length} accounts locked for ${LOCK_SECONDS} s (${MAX_FAILED} wrong passwords each); ${nolockUsers.length} accounts under a policy without lockout`,
  );
  return {
    nolockClient,
    nolockUsers,
    lockedClient,
    lockedUsers,
    locking: {
      accounts: lockedUsers.length,
      tenant_policy: { captcha_after_failures: 0, max_failed_attempts: MAX_FAILED, lock_seconds: LOCK_SECONDS },
      wrong_passwords_each: MAX_FAILED,
      answers_each: sequences[0],
    },
  };
}

export async function wrongPasswordRest(s: Signet, ls: LockoutSeed): Promise<Figure> {
  const req = (i: number): RestRequest => ({
    ...signinReq(ls.nolockClient, ls.nolockUsers[i % ls.nolockUsers.length], WRONG_PASSWORD),
    answer: expectReason({ status: 401, reason: 'invalid_password' }),
  });
  const pre = await send(s, req(0));
  log(`wrong_password_rest: ${CONNECTIONS} connections, ${WARMUP_S}+${FIGURE_S} s`);
  const warm = await restLoad(s.http, WARMUP_S, CONNECTIONS, req, s.child.pid);
  const r = await restLoad(s.http, FIGURE_S, CONNECTIONS, req, s.child.pid);
  const f = figure(
    r,
    restCfg(
      {
        request: `POST /auth/v1/signin?client_id=${ls.nolockClient} {username,password: wrong}`,
        users: `${ls.nolockUsers.length}, one per connection, tenant ${NOLOCK_TENANT} with policy lockout_enabled: false (they never lock)`,
        success_means: 'HTTP 401 with error invalid_password; any other answer is an error',
        ...serverCfg(),
      },
      FIGURE_S,
    ),
    { warmup: { ok: warm.ok, errors: warm.errors }, preflight: describeError(pre.status, pre.body) },
  );
  f.server_cpu_ms_per_answer = f.cpu_ms_per_ok?.server ?? null;
  return f;
}

export async function lockedAccountRest(s: Signet, ls: LockoutSeed): Promise<Figure> {
  // Half the connections send the right password: a locked account refuses it the same way.
  const req = (i: number): RestRequest => ({
    ...signinReq(ls.lockedClient, ls.lockedUsers[i % ls.lockedUsers.length], i % 2 ? PASSWORD : WRONG_PASSWORD),
    answer: expectReason({ status: 400, reason: 'invalid_status' }),
  });
  const pre = await send(s, signinReq(ls.lockedClient, ls.lockedUsers[0], PASSWORD));
  log(`locked_account_rest: ${CONNECTIONS} connections on ${ls.lockedUsers.length} locked accounts, ${WARMUP_S}+${FIGURE_S} s`);
  const warm = await restLoad(s.http, WARMUP_S, CONNECTIONS, req, s.child.pid);
  const r = await restLoad(s.http, FIGURE_S, CONNECTIONS, req, s.child.pid);
  const f = figure(
    r,
    restCfg(
      {
        request: `POST /auth/v1/signin?client_id=${ls.lockedClient} {username,password}, right password on odd connections, wrong on even`,
        users: `${ls.lockedUsers.length} locked accounts (tenant ${LOCKED_TENANT}), connection i signs in account i mod ${ls.lockedUsers.length}`,
        success_means: 'HTTP 400 with error invalid_status (locked); any other answer is an error',
        ...serverCfg(),
      },
      FIGURE_S,
    ),
    { warmup: { ok: warm.ok, errors: warm.errors }, preflight: { right_password: describeError(pre.status, pre.body) } },
  );
  f.server_cpu_ms_per_answer = f.cpu_ms_per_ok?.server ?? null;
  f.locking = ls.locking;
  return f;
}
