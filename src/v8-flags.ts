// V8 settings for memory (README, Performance). Most are read by V8 when it needs them (the heap
// limit at every full collection, the WebAssembly tiers when a module is compiled), so Signet sets
// them itself when it starts, however it was started. An operator's own flag of the same name
// (command line or NODE_OPTIONS, `--no-` forms included) wins.
import v8 from 'node:v8';

/**
 * The one V8 reads only as the process starts, so it is on node's command line wherever Signet is
 * started as a server: npm start, the image's ENTRYPOINT and the bench's child (a test keeps them
 * equal). A young generation of 2×4 MB instead of V8's 2×16 MB. At 2×8 MB the peak RSS under
 * `npm run bench` was 192–201 MB once metrics, health and reflection had landed; 2×4 MB took
 * ~10 MB more off (198.9 → 188.9 MB in back-to-back full runs) for ~85% more scavenges, ~20% more
 * young-collection time (~2–3% of the main thread under the cheapest requests), which the bench's
 * throughput could not tell from its noise.
 */
export const NODE_FLAGS = ['--max-semi-space-size=4'];

/**
 * V8's default factor depends on the heap limit, which on any machine with a few GB is large enough
 * for the maximum: the old generation may grow to 4× what survived the last full collection before
 * the next one. Under the bench, what outlived two young collections then piled up there as
 * ~100 MB of garbage over ~27 MB live. 1.3× is V8's own conservative factor; it costs a full
 * collection about every two seconds of heavy load instead of every ten, ~10 ms each.
 */
export const HEAP_GROWING_PERCENT = 30;

/** The flags for a server on this database. */
export function signetV8Flags(database: 'postgresql' | 'pglite'): string[] {
  return [
    `--heap-growing-percent=${HEAP_GROWING_PERCENT}`,
    // Prisma's query compiler is WebAssembly called once per query shape (the client caches the
    // plans): Liftoff's baseline code serves it, and letting TurboFan in costs ~15 MB more. Not
    // with PGlite, whose whole database runs as WebAssembly and needs the optimising tier. (The
    // flag is process-wide: a PGlite opened later in the same process, as tests do, gets it too.)
    ...(database === 'postgresql' ? ['--liftoff-only'] : []),
  ];
}

const nameOf = (arg: string) => /^--(?:no-)?([a-z][a-z0-9_-]*)/i.exec(arg)?.[1].replaceAll('_', '-') ?? '';

/** Sets each of `flags` that the process was not given already; returns those it set. */
export function applyV8Flags(
  flags: string[],
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map(nameOf));
  const applied = flags.filter((flag) => !given.has(nameOf(flag)));
  for (const flag of applied) v8.setFlagsFromString(flag);
  return applied;
}
