// Summarises a V8 .cpuprofile (node --cpu-prof) of the Signet child's main thread, optionally per
// time window (the bench records each figure's window on the monotonic clock, which is the clock
// V8 stamps samples with): busy share, top frames by self time with their commonest callers, and
// time grouped by where the code lives (a package in node_modules, a file of src/, node internals),
// both self and inclusive (on the stack).
import { readFileSync } from 'node:fs';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Window {
  name: string;
  /** Monotonic microseconds (process.hrtime.bigint() / 1000n). */
  fromUs: number;
  toUs: number;
}

export interface WindowSummary {
  window: string;
  wall_ms: number;
  /** Share of the window the main thread was busy (not idle). */
  busy_pct: number;
  /** Shares below are of busy time. */
  top_self: Array<{ pct: number; frame: string; callers: string }>;
  self_by_location: Array<{ pct: number; location: string }>;
  inclusive_by_location: Array<{ pct: number; location: string }>;
}

export interface ProfileSummary {
  file: string;
  windows: WindowSummary[];
}

function location(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : `(native) ${fn}`;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  // The compiled child (bench/build.ts): <build dir>/dist/… mirrors src/.
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return url.slice(bench + 1);
  return url.replace(/^file:\/\//, '');
}

function frameName(n: CpuNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const fn = functionName || '(anonymous)';
  return url ? `${fn} ${location(url, functionName)}:${lineNumber + 1}` : fn;
}

export function summarizeProfile(file: string, windows: Window[], top = 20): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const locOf = (n: CpuNode) => location(n.callFrame.url, n.callFrame.functionName);

  const all: Window[] = windows.length ? windows : [{ name: 'whole run', fromUs: p.startTime, toUs: p.endTime }];
  const result: WindowSummary[] = [];
  for (const w of all) {
    const self = new Map<number, number>();
    let t = p.startTime;
    let wall = 0;
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i] ?? 0;
      if (t < w.fromUs || t > w.toUs) continue;
      // A sample's delta is the time since the previous one: attribute it to this sample.
      const d = p.timeDeltas[i] ?? 0;
      wall += d;
      self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + d);
    }
    let busy = 0;
    const frames = new Map<string, { us: number; callers: Map<string, number> }>();
    const selfLoc = new Map<string, number>();
    const inclLoc = new Map<string, number>();
    for (const [id, us] of self) {
      const n = byId.get(id);
      if (!n || n.callFrame.functionName === '(idle)') continue;
      busy += us;
      const key = frameName(n);
      const f = frames.get(key) ?? { us: 0, callers: new Map() };
      f.us += us;
      const chain: string[] = [];
      for (let c = parent.get(id), k = 0; c !== undefined && k < 4; c = parent.get(c), k++) {
        const cn = byId.get(c)!;
        if (cn.callFrame.functionName === '(root)') break;
        chain.push(frameName(cn));
      }
      const ck = chain.join(' < ');
      f.callers.set(ck, (f.callers.get(ck) ?? 0) + us);
      frames.set(key, f);
      selfLoc.set(locOf(n), (selfLoc.get(locOf(n)) ?? 0) + us);
      const seen = new Set<string>();
      for (let c: number | undefined = id; c !== undefined; c = parent.get(c)) {
        const cn = byId.get(c)!;
        if (cn.callFrame.functionName === '(root)') break;
        const l = locOf(cn);
        if (!seen.has(l)) {
          seen.add(l);
          inclLoc.set(l, (inclLoc.get(l) ?? 0) + us);
        }
      }
    }
    const pct = (us: number) => (busy > 0 ? Math.round((us / busy) * 1000) / 10 : 0);
    result.push({
      window: w.name,
      wall_ms: Math.round(wall / 1000),
      busy_pct: wall > 0 ? Math.round((busy / wall) * 1000) / 10 : 0,
      top_self: [...frames]
        .sort((a, b) => b[1].us - a[1].us)
        .slice(0, top)
        .map(([frame, f]) => ({
          pct: pct(f.us),
          frame,
          callers: [...f.callers].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '',
        })),
      self_by_location: [...selfLoc]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([location, us]) => ({ pct: pct(us), location })),
      inclusive_by_location: [...inclLoc]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(([location, us]) => ({ pct: pct(us), location })),
    });
  }
  return { file, windows: result };
}

// `tsx bench/profile.ts file.cpuprofile` prints the summary of the whole profile.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const f = process.argv[2];
  if (!f) {
    process.stderr.write('usage: tsx bench/profile.ts <file.cpuprofile>\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(summarizeProfile(f, []), null, 2)}\n`);
}
