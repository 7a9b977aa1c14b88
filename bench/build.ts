// How the Signet child runs. Production runs `node <NODE_FLAGS> dist/cli/main.js` (Dockerfile): compiled
// JavaScript, no tsx (which adds ~85 MB RSS and a module-loader thread). So the run starts by
// compiling src/ with the production tsconfig into a temporary directory laid out like the image
// (/app: package.json, node_modules, prisma/, dist/), so that package resolution, "type": "module"
// and the migrations lookup (upwards from dist/storage/prisma, see src/storage/prisma/migrate.ts)
// work as they do there. When that yields no runnable app, the child runs the sources under tsx
// and the JSON says so (run.server_runtime).
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, budgetLeft, log, round } from './env.js';
import { NODE_FLAGS } from '../src/v8-flags.js';

export interface ServerRuntime {
  kind: 'compiled' | 'tsx';
  /** Where config.js, app.js and storage/prisma/migrate.js are imported from by the child. */
  appDir: string;
  /** Node options before the child script: Signet's own (NODE_FLAGS), and tsx's loader if any. */
  nodeArgs: string[];
  /** For run.server_runtime / run.server_build. */
  description: string;
  build: Record<string, unknown>;
}

let buildDir: string | undefined;
let tscProc: ChildProcess | undefined;

export const tsxRuntime = (why: string, build: Record<string, unknown> = {}): ServerRuntime => ({
  kind: 'tsx',
  appDir: path.join(ROOT, 'src'),
  nodeArgs: [...NODE_FLAGS, '--import', 'tsx'],
  description: `tsx (node ${NODE_FLAGS.join(' ')} --import tsx, TypeScript sources): ${why}`,
  build: { ...build, fallback: why },
});

/** Files the child imports; without them the compiled output is not runnable. */
const NEEDED = ['app.js', 'config.js', 'storage/prisma/migrate.js'];

export async function prepareServerRuntime(mode: 'compiled' | 'tsx'): Promise<ServerRuntime> {
  if (mode === 'tsx') return tsxRuntime('requested by BENCH_SERVER_RUNTIME=tsx');
  let tsc: string;
  try {
    tsc = createRequire(path.join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  } catch (err) {
    return tsxRuntime(`typescript not installed: ${String(err).slice(0, 200)}`);
  }
  buildDir = mkdtempSync(path.join(tmpdir(), 'signet-bench-build-'));
  const outDir = path.join(buildDir, 'dist');
  const command = `tsc -p tsconfig.build.json --outDir ${outDir}`;
  try {
    copyFileSync(path.join(ROOT, 'package.json'), path.join(buildDir, 'package.json'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(buildDir, 'node_modules'), 'dir');
    symlinkSync(path.join(ROOT, 'prisma'), path.join(buildDir, 'prisma'), 'dir');
  } catch (err) {
    return tsxRuntime(`could not lay out ${buildDir}: ${String(err).slice(0, 200)}`, { command });
  }
  log(`compiling the Signet child: ${command}`);
  const t0 = performance.now();
  const timeoutS = Math.max(20, Math.min(120, budgetLeft() - 150));
  const { code, output, timedOut } = await runTsc(tsc, ['-p', 'tsconfig.build.json', '--outDir', outDir, '--pretty', 'false'], timeoutS);
  const seconds = round((performance.now() - t0) / 1000, 1);
  const diagnostics = output.split('\n').filter((l) => /error TS\d+/.test(l));
  const build = {
    command,
    equivalent_of:
      'npx tsc -p tsconfig.build.json (the Dockerfile build step), output laid out as the image: package.json, node_modules, prisma/, dist/',
    out_dir: outDir,
    seconds,
    exit_code: code,
    ...(timedOut ? { timed_out_after_s: timeoutS } : {}),
    type_errors: diagnostics.length,
    ...(diagnostics.length ? { diagnostics: diagnostics.slice(0, 5).map((d) => d.slice(0, 300)) } : {}),
  };
  const missing = NEEDED.filter((f) => !existsSync(path.join(outDir, f)));
  if (timedOut || missing.length) {
    const why = timedOut ? `tsc did not finish within ${timeoutS} s` : `tsc (exit ${code}) emitted no ${missing.join(', ')}`;
    log(`compilation failed (${why}): falling back to tsx`);
    return tsxRuntime(`compilation failed, ${why}`, build);
  }
  if (code !== 0) {
    // tsc emits even on type errors (noEmitOnError is off); the JavaScript is what tsx would run.
    log(
      `tsc reported ${diagnostics.length} type error(s) (exit ${code}) but emitted the app: running the compiled output. First: ${diagnostics[0] ?? output.slice(0, 200)}`,
    );
  } else log(`compiled in ${seconds} s`);
  return {
    kind: 'compiled',
    appDir: outDir,
    // As the image's ENTRYPOINT runs it.
    nodeArgs: [...NODE_FLAGS],
    description: `node ${NODE_FLAGS.join(' ')} (compiled JavaScript, tsc -p tsconfig.build.json; no tsx)${code !== 0 ? `, although tsc reported ${diagnostics.length} type error(s)` : ''}`,
    build,
  };
}

function runTsc(tsc: string, args: string[], timeoutS: number): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const proc = spawn(process.execPath, [tsc, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    tscProc = proc;
    proc.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-200_000)));
    proc.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-200_000)));
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, timeoutS * 1000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      tscProc = undefined;
      resolve({ code, output, timedOut });
    });
    proc.once('error', (err) => {
      clearTimeout(timer);
      tscProc = undefined;
      resolve({ code: null, output: String(err), timedOut });
    });
  });
}

/** Stops a running tsc and removes the build directory. */
export function removeBuild(): void {
  if (tscProc && tscProc.exitCode === null) tscProc.kill('SIGKILL');
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  buildDir = undefined;
}
