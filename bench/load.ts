// Load generators, run in this (parent) process: a closed loop of callers for argon2 and gRPC, and
// autocannon for REST. Both count only calls completed inside the measured window and sample CPU
// over it (machine.ts cpuMeter).
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { monoUs, type LoadResult } from './figures.js';
import { cpuMeter } from './machine.js';

// ---------------------------------------------------------------------------------------------
// Generic closed loop (argon2, gRPC): `workers` callers, each issuing its next call as soon as the
// previous one completes, until the window closes. A call that completes after the window is not
// counted (as autocannon does for REST).

export type OpResult = { ok: true } | { ok: false; code: string; detail?: string };

export async function closedLoop(
  workers: number,
  durationS: number,
  op: (worker: number) => Promise<OpResult>,
  pid?: number,
): Promise<LoadResult> {
  const r: LoadResult = { ok: 0, errors: 0, latencies: [], codes: {}, durationS };
  const cpu = cpuMeter(pid);
  const fromUs = monoUs();
  const start = performance.now();
  const end = start + durationS * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        let res: OpResult;
        try {
          res = await op(w);
        } catch (err) {
          res = { ok: false, code: 'EXCEPTION', detail: String(err) };
        }
        const t1 = performance.now();
        if (t1 > end) break;
        r.latencies.push(t1 - t0);
        const code = res.ok ? 'OK' : res.code;
        r.codes[code] = (r.codes[code] ?? 0) + 1;
        if (res.ok) r.ok++;
        else {
          r.errors++;
          r.firstError ??= `${res.code}: ${res.detail ?? ''}`.slice(0, 400);
        }
      }
    }),
  );
  r.cpu = cpu();
  r.window = { fromUs, toUs: fromUs + durationS * 1e6 };
  return r;
}

// ---------------------------------------------------------------------------------------------
// REST load: autocannon, one request at a time per connection (no pipelining).

/** How an answer is judged when 2xx is not what success means (the brute-force figures). */
export interface Answer {
  ok: boolean;
  /** Key in `codes`, e.g. "401 invalid_password". */
  code: string;
}

export interface RestRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Per-connection dynamic request (refresh chains): returns the body to send next. */
  nextBody?: () => string;
  onResponse?: (status: number, body: string) => void;
  /** Judges each answer; without it, 2xx is a success and anything else an error. */
  answer?: (status: number, body: string) => Answer;
}

export async function restLoad(
  base: string,
  durationS: number,
  connections: number,
  requestFor: (connection: number) => RestRequest,
  pid?: number,
): Promise<LoadResult & { autocannon: Record<string, unknown> }> {
  const r: LoadResult = { ok: 0, errors: 0, latencies: [], codes: {}, durationS };
  let index = 0;
  const cpu = cpuMeter(pid);
  const fromUs = monoUs();
  const result: any = await new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: base,
        connections,
        pipelining: 1,
        duration: durationS,
        timeout: 10,
        // Each connection gets its own request (and closure state) in setupClient.
        requests: [{ method: 'GET', path: '/' }],
        setupClient(client: any) {
          const spec = requestFor(index++);
          // autocannon calls onResponse (with the body) right before it emits 'response' for
          // the same answer: the judgement is handed over in between.
          let judged: Answer | undefined;
          client.setRequests([
            {
              method: spec.method,
              path: spec.path,
              headers: spec.headers,
              body: spec.nextBody ? spec.nextBody() : spec.body,
              ...(spec.nextBody ? { setupRequest: (req: any) => ({ ...req, body: spec.nextBody!() }) } : {}),
              onResponse: (status: number, body: string) => {
                if (spec.answer) {
                  judged = spec.answer(status, String(body));
                  if (!judged.ok && !r.firstError) r.firstError = `HTTP ${status}: ${String(body).slice(0, 400)}`;
                } else if ((status < 200 || status > 299) && !r.firstError) r.firstError = `HTTP ${status}: ${String(body).slice(0, 400)}`;
                spec.onResponse?.(status, body);
              },
            },
          ]);
          client.on('response', (status: number, _bytes: number, ms: number) => {
            r.latencies.push(ms);
            const ok = judged ? judged.ok : status >= 200 && status <= 299;
            const code = judged ? judged.code : status;
            judged = undefined;
            r.codes[code] = (r.codes[code] ?? 0) + 1;
            if (ok) r.ok++;
            else r.errors++;
          });
        },
      },
      (err: Error | null, res: any) => (err ? reject(err) : resolve(res)),
    );
    void inst;
  });
  r.cpu = cpu();
  r.window = { fromUs, toUs: monoUs() };
  // Connection errors and timeouts produce no response: count them as errors too.
  const connErrors = (result.errors ?? 0) - (result.timeouts ?? 0);
  if (connErrors > 0) {
    r.codes.connection_error = connErrors;
    r.errors += connErrors;
    r.firstError ??= 'connection error';
  }
  if (result.timeouts > 0) {
    r.codes.timeout = result.timeouts;
    r.errors += result.timeouts;
    r.firstError ??= 'request timeout (10 s)';
  }
  r.durationS = result.duration || durationS;
  return {
    ...r,
    autocannon: {
      requests_per_s_avg: result.requests?.average,
      '2xx': result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      latency_p50_ms: result.latency?.p50,
      latency_p99_ms: result.latency?.p99,
    },
  };
}

/** Judges an answer by its HTTP status and the `error` reason of its body. */
export function expectReason(expected: { status: number; reason: string }): (s: number, body: string) => Answer {
  return (s, body) => {
    let reason = '';
    if (s >= 200 && s <= 299) reason = 'ok';
    else {
      try {
        reason = String(JSON.parse(body)?.error ?? '');
      } catch {
        reason = 'unparsable';
      }
    }
    return { ok: s === expected.status && reason === expected.reason, code: `${s} ${reason}`.trim() };
  };
}
