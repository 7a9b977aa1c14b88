// The JSON document being built (`out`), and the targets judged from its figures: each target
// names its threshold, the value it was judged on and whether it is met (null: not measured, or
// measured on a busy machine, where a verdict would be as likely wrong as right).
import { round } from './env.js';
import { isFigure, type Figure } from './figures.js';

export const out: Record<string, unknown> = {};
export const targets: Record<string, { target: string; value: unknown; met: boolean | null; note?: string }> = {};

const clean = (f: Figure | undefined) => !!f && f.ok > 0 && (f.error_rate ?? 1) <= 0.001;
const rate = (x: unknown): number | null => (x as Figure | undefined)?.rate_per_s ?? null;

function setTarget(name: string, target: string, value: unknown, met: boolean | null, note?: string) {
  targets[name] = { target, value, met, ...(note ? { note } : {}) };
}

export function evaluateTargets() {
  const f = (k: string) => out[k] as Figure | undefined;
  const isFig = (k: string) => !!f(k) && typeof f(k)!.ok === 'number';
  const ceiling = rate(out.argon2_verify_per_s);
  for (const k of ['signin_rest', 'signin_grpc']) {
    if (!isFig(k) || ceiling === null) setTarget(k, '>= 80% of argon2_verify_per_s', null, null, 'not measured');
    else {
      const ratio = (rate(f(k)) ?? 0) / ceiling;
      // Machine-independent view: the share of the sign-in's CPU (Signet + PostgreSQL + Redis)
      // that is the argon2 verification itself.
      const argonMs = f('argon2_verify_per_s')?.cpu_ms_per_ok?.loadgen ?? null;
      const c = f(k)!.cpu_ms_per_ok;
      const signinMs = c && c.server !== null ? c.server + (c.postgres_redis ?? 0) : null;
      setTarget(
        k,
        '>= 80% of argon2_verify_per_s, error rate <= 0.1%',
        {
          rate_per_s: rate(f(k)),
          ceiling_per_s: ceiling,
          fraction: round(ratio, 3),
          argon2_cpu_ms_per_verify: argonMs,
          signin_cpu_ms_per_ok: signinMs !== null ? round(signinMs, 2) : null,
          argon2_share_of_signin_cpu: argonMs !== null && signinMs ? round(argonMs / signinMs, 3) : null,
        },
        ratio >= 0.8 && clean(f(k)),
      );
    }
  }
  // A sign-up is one argon2id hash (the work of a verify) plus an INSERT and a session: reported
  // against the same ceiling, as a fraction (the issue names no threshold).
  for (const k of ['signup_rest', 'signup_grpc']) {
    if (!isFig(k) || ceiling === null) setTarget(k, 'sign-ups/s, as a fraction of argon2_verify_per_s', null, null, 'not measured');
    else
      setTarget(
        k,
        'sign-ups/s, as a fraction of argon2_verify_per_s (reported, no threshold), error rate <= 0.1%',
        { rate_per_s: rate(f(k)), ceiling_per_s: ceiling, fraction: round((rate(f(k)) ?? 0) / ceiling, 3) },
        clean(f(k)),
      );
  }
  for (const k of ['refresh_rest', 'refresh_grpc']) {
    if (!isFig(k)) setTarget(k, '>= 2000/s', null, null, 'not measured');
    else setTarget(k, '>= 2000/s, error rate <= 0.1%', rate(f(k)), (rate(f(k)) ?? 0) >= 2000 && clean(f(k)));
  }
  // Issue 10's figure: Hydra publishes 5,109 introspections/s on 2 CPUs.
  for (const k of ['introspect_rest', 'introspect_grpc']) {
    if (!isFig(k)) setTarget(k, '>= 5000/s', null, null, 'not measured');
    else setTarget(k, '>= 5000/s (active answers), error rate <= 0.1%', rate(f(k)), (rate(f(k)) ?? 0) >= 5000 && clean(f(k)));
  }
  const ref = isFig('reference_oidc_provider_client_credentials_rest') ? rate(f('reference_oidc_provider_client_credentials_rest')) : null;
  for (const k of ['client_credentials_rest', 'client_credentials_grpc']) {
    if (!isFig(k) || ref === null) setTarget(k, '>= reference_oidc_provider_client_credentials_rest', null, null, 'not measured');
    else
      setTarget(
        k,
        '>= reference_oidc_provider_client_credentials_rest, error rate <= 0.1%',
        { rate_per_s: rate(f(k)), reference_per_s: ref, fraction: round((rate(f(k)) ?? 0) / ref, 3) },
        (rate(f(k)) ?? 0) >= ref && clean(f(k)),
      );
  }
  if (isFig('client_credentials_rest') && isFig('client_credentials_grpc')) {
    const ratio = (rate(f('client_credentials_rest')) ?? 0) / (rate(f('client_credentials_grpc')) || NaN);
    setTarget(
      'client_credentials_rest_vs_grpc',
      'REST within 15% of gRPC: rest/grpc >= 0.85 (REST may be faster)',
      { rest_over_grpc: round(ratio, 3), symmetric_within_15pct: Math.abs(1 - ratio) <= 0.15 },
      ratio >= 0.85 && clean(f('client_credentials_rest')),
      ratio > 1.15
        ? 'gRPC is the slower one: its figure is bounded by the grpc-js load generator sharing the 2 cores (see cpu_cores.loadgen)'
        : undefined,
    );
  } else setTarget('client_credentials_rest_vs_grpc', 'REST within 15% of gRPC', null, null, 'not measured');
  const rss = (out.rss_mb as any)?.peak_hwm_mb ?? null;
  setTarget('rss_mb', 'Signet child peak RSS (VmHWM) < 200 MB (issue 11)', rss, rss === null ? null : rss < 200);
  bruteForceTargets(f, ceiling);
  // A figure taken while other work loaded the machine is flagged on its targets.
  const sources: Record<string, string[]> = {
    signin_rest: ['signin_rest', 'argon2_verify_per_s'],
    signin_grpc: ['signin_grpc', 'argon2_verify_per_s'],
    refresh_rest: ['refresh_rest'],
    refresh_grpc: ['refresh_grpc'],
    introspect_rest: ['introspect_rest'],
    introspect_grpc: ['introspect_grpc'],
    client_credentials_rest: ['client_credentials_rest', 'reference_oidc_provider_client_credentials_rest'],
    client_credentials_grpc: ['client_credentials_grpc', 'reference_oidc_provider_client_credentials_rest'],
    client_credentials_rest_vs_grpc: ['client_credentials_rest', 'client_credentials_grpc'],
    wrong_password_rest: ['wrong_password_rest', 'argon2_verify_per_s'],
    locked_account_rest: ['locked_account_rest'],
  };
  for (const [t, keys] of Object.entries(sources)) {
    const noisy = keys.filter((k) => (out[k] as Figure | undefined)?.machine?.noisy);
    const tg = targets[t];
    if (noisy.length && tg) {
      // Not judged: a busy machine can fail a target as easily as pass one (a slowed ceiling or
      // reference makes the ratio look good). The verdict the figures would give is kept aside.
      const n = `not judged, measured on a busy machine (other processes used CPU): ${noisy.join(', ')}`;
      tg.note = tg.note ? `${tg.note}; ${n}` : n;
      (tg as Record<string, unknown>).met_on_noisy_figures = tg.met;
      tg.met = null;
    }
  }
}

export function ratios() {
  const pair = (a: string, b: string) => {
    const ra = rate(out[a]);
    const rb = rate(out[b]);
    return ra !== null && rb ? round(ra / rb, 3) : null;
  };
  return {
    signin: pair('signin_rest', 'signin_grpc'),
    signup: pair('signup_rest', 'signup_grpc'),
    refresh: pair('refresh_rest', 'refresh_grpc'),
    client_credentials: pair('client_credentials_rest', 'client_credentials_grpc'),
    introspect: pair('introspect_rest', 'introspect_grpc'),
    note: 'REST rate / gRPC rate',
  };
}

/** The figures of issue 3: wrong passwords, locked accounts, policy overhead. */
function bruteForceTargets(f: (k: string) => Figure | undefined, ceiling: number | null) {
  const argonMs = f('argon2_verify_per_s')?.cpu_ms_per_ok?.loadgen ?? null;
  const wp = f('wrong_password_rest');
  if (!isFigure(wp) || ceiling === null)
    setTarget('wrong_password_rest', 'wrong_password_rest / argon2_verify_per_s <= 1.1', null, null, 'not measured');
  else {
    const ratio = (rate(wp) ?? 0) / ceiling;
    const ms = wp.server_cpu_ms_per_answer ?? null;
    setTarget(
      'wrong_password_rest',
      'wrong_password_rest / argon2_verify_per_s <= 1.1 (every wrong password costs one argon2 verify: not faster than hashing), every answer invalid_password',
      {
        rate_per_s: rate(wp),
        ceiling_per_s: ceiling,
        ratio_to_ceiling: round(ratio, 3),
        server_cpu_ms_per_answer: ms,
        argon2_cpu_ms_per_verify: argonMs,
        // Machine-independent view: about 1 (or more) when each answer pays for a verification.
        answer_cpu_over_argon2_cpu: argonMs && ms !== null ? round(ms / argonMs, 3) : null,
      },
      ratio <= 1.1 && clean(wp),
    );
  }
  const la = f('locked_account_rest');
  if (!isFigure(la))
    setTarget(
      'locked_account_rest',
      '>= 5000/s',
      null,
      null,
      la && 'skipped' in (la as object) ? `skipped: ${(la as any).skipped}` : 'not measured',
    );
  else {
    setTarget(
      'locked_account_rest',
      '>= 5000/s, every answer invalid_status, error rate <= 0.1%',
      {
        rate_per_s: rate(la),
        server_cpu_ms_per_answer: la.server_cpu_ms_per_answer ?? null,
        postgres_redis_cpu_ms_per_answer: la.cpu_ms_per_ok?.postgres_redis ?? null,
      },
      (rate(la) ?? 0) >= 5000 && clean(la),
    );
  }
  const po = out.policy_overhead_signin as Record<string, any> | undefined;
  if (!po || typeof po.overhead_pct !== 'number')
    setTarget('policy_overhead_signin', 'overhead_pct < 5', null, null, po?.skipped ? `skipped: ${po.skipped}` : 'not measured');
  else {
    const errors = ['on', 'lockout_off', 'off'].reduce((a, k) => a + (po.sides?.[k]?.errors ?? 0), 0);
    const se: number | null = po.overhead_pct_stderr ?? null;
    const verdict = po.overhead_pct < 5 && errors === 0;
    // Within two standard errors of the threshold the verdict is a coin toss: not judged.
    const undecided = errors === 0 && se !== null && Math.abs(po.overhead_pct - 5) < 2 * se;
    setTarget(
      'policy_overhead_signin',
      'overhead_pct < 5: server CPU per successful sign-in, default policy and limits on vs lockout and limits off',
      {
        overhead_pct: po.overhead_pct,
        on_ms: po.server_cpu_ms_per_signin.on,
        off_ms: po.server_cpu_ms_per_signin.off,
        stderr_pct: se,
        main_thread_basis_overhead_pct: po.main_thread_basis?.overhead_pct ?? null,
      },
      undecided ? null : verdict,
      [
        errors ? `${errors} sign-ins failed` : '',
        undecided
          ? `not judged: ${po.overhead_pct}% is within two standard errors (±${se}) of 5%; main_thread_basis_overhead_pct is the steadier estimate`
          : '',
      ]
        .filter(Boolean)
        .join('; ') || undefined,
    );
    if (undecided) (targets.policy_overhead_signin as Record<string, unknown>).met_on_noisy_figures = verdict;
  }
}
