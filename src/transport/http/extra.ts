// Hand-written routes beside the proto's (dialects with form bodies, images or non-Status error
// bodies, e.g. HZERO's). A path is exact, or a template whose `{name}` segments each match one
// non-empty segment; exact paths are one Map lookup, templates a scan over the few there are.
import { invalidArgument } from '../../domain/errors.js';
import type { ExtraRoute } from './server.js';

interface Template {
  route: ExtraRoute;
  method: string;
  /** Literal segments, or null where a variable stands. */
  segments: (string | null)[];
  names: string[];
}

export interface ExtraMatch {
  route: ExtraRoute;
  params: Record<string, string>;
}

const VARIABLE = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export class ExtraRoutes {
  private readonly exact = new Map<string, ExtraRoute>();
  private readonly templates: Template[] = [];
  private readonly shapes = new Set<string>();
  readonly methods = new Set<string>();

  get size(): number {
    return this.exact.size + this.templates.length;
  }

  add(route: ExtraRoute): void {
    const method = route.method.toUpperCase();
    const key = `${method} ${route.path}`;
    if (!route.path.startsWith('/')) throw new Error(`http: ${key}: a path starts with /`);
    const parts = route.path.slice(1).split('/');
    if (parts.some((p) => p === '' || (/[{}]/.test(p) && !VARIABLE.test(p)))) throw new Error(`http: ${key}: malformed path`);
    // Two templates that differ only in variable names would match the same paths.
    const shape = `${method} /${parts.map((p) => (VARIABLE.test(p) ? '{}' : p)).join('/')}`;
    if (this.shapes.has(shape)) throw new Error(`http: ${key} is routed twice`);
    this.shapes.add(shape);
    this.methods.add(method);
    const names = parts.map((p) => VARIABLE.exec(p)?.[1]).filter((n): n is string => n !== undefined);
    if (names.length === 0) this.exact.set(key, route);
    else this.templates.push({ route, method, segments: parts.map((p) => (VARIABLE.test(p) ? null : p)), names });
  }

  match(method: string, path: string): ExtraMatch | undefined {
    const hit = this.exact.get(`${method} ${path}`);
    if (hit) return { route: hit, params: {} };
    for (const t of this.templates) {
      if (t.method !== method) continue;
      const params = matchTemplate(t, path);
      if (params) return { route: t.route, params };
    }
    return undefined;
  }

  /** The methods routed for a path: the Allow header of a 405. */
  allowed(path: string): string[] {
    return [...this.methods].filter((m) => this.match(m, path) !== undefined);
  }
}

function matchTemplate(t: Template, path: string): Record<string, string> | undefined {
  if (!path.startsWith('/')) return undefined;
  const parts = path.slice(1).split('/');
  if (parts.length !== t.segments.length) return undefined;
  const params: Record<string, string> = Object.create(null);
  let v = 0;
  for (let i = 0; i < parts.length; i++) {
    const s = t.segments[i];
    if (s !== null) {
      if (parts[i] !== s) return undefined;
      continue;
    }
    if (parts[i] === '') return undefined;
    params[t.names[v++]] = decodeSegment(parts[i]);
  }
  return params;
}

function decodeSegment(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidArgument('', 'malformed percent-encoding in the URL path');
  }
}
