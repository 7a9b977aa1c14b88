// REST routes come only from the google.api.http annotations of the service definitions, compiled
// once into a table: literal paths are one Map lookup, templates a short scan over split segments.
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { HttpRule } from '../../gen/google/api/http.js';
import { invalidArgument } from '../../domain/errors.js';
import type { UnaryHandler } from '../context.js';
import { T, type FieldInfo, type MessageInfo, type Registry } from '../registry.js';

/** The (google.api.http) extension as ts-proto keeps it in method options: field 72295728, wire type 2. */
export const HTTP_RULE_TAG = 578365826;

/** The parts of a ts-proto generic service definition (outputServices=generic-definitions) used here. */
export interface GenericMethodDefinition {
  name: string;
  requestType: unknown;
  responseType: unknown;
  requestStream: boolean;
  responseStream: boolean;
  options: { _unknownFields?: { [tag: number]: readonly Uint8Array[] } };
}

export interface GenericServiceDefinition {
  name: string;
  fullName: string;
  methods: { [key: string]: GenericMethodDefinition };
}

enum Seg {
  Literal,
  Any,
  Deep,
}
interface Segment {
  kind: Seg;
  value: string;
}

interface PathVar {
  /** The field chain of `{a.b}`; the last is the one set. */
  fields: FieldInfo[];
  start: number;
  /** Exclusive; for a trailing `**` the end is the end of the path. */
  end: number;
}

export interface Route {
  httpMethod: string;
  template: string;
  /** "signet.auth.v1.AuthService/SignIn", for logs. */
  rpc: string;
  request: MessageInfo;
  response: MessageInfo;
  handler: UnaryHandler | undefined;
  /** '' (no body), '*' (the whole request) or the field the body fills. */
  body: '' | '*' | FieldInfo;
  /**
   * How the answer is written. Only 'json' today; google.api.HttpBody (raw bytes with their own
   * content type) will be a second kind chosen here at compile time.
   */
  responseKind: 'json';
  segments: Segment[];
  verb: string;
  vars: PathVar[];
  deep: boolean;
}

export interface Match {
  route: Route;
  /** Path variables as a nested object of strings, ready for readMessage(…, 'path'). */
  params: Record<string, unknown> | undefined;
}

export class RouteTable {
  private readonly literal = new Map<string, Route>();
  private readonly templates = new Map<string, Route[]>();
  readonly methods = new Set<string>();
  readonly routes: Route[] = [];

  add(route: Route): void {
    const key = `${route.httpMethod} ${route.template}`;
    if (this.routes.some((r) => `${r.httpMethod} ${r.template}` === key)) {
      throw new Error(`http: ${key} is annotated twice (${route.rpc})`);
    }
    this.routes.push(route);
    this.methods.add(route.httpMethod);
    if (route.vars.length === 0 && route.segments.every((s) => s.kind === Seg.Literal)) this.literal.set(key, route);
    let list = this.templates.get(route.httpMethod);
    if (!list) {
      list = [];
      this.templates.set(route.httpMethod, list);
    }
    list.push(route);
  }

  /** The route of method + path, or undefined. Throws invalid_argument on malformed escapes. */
  match(method: string, path: string): Match | undefined {
    const lit = this.literal.get(`${method} ${path}`);
    if (lit) return { route: lit, params: undefined };
    const list = this.templates.get(method);
    if (!list) return undefined;
    const parts = splitPath(path);
    for (const route of list) {
      const params = matchRoute(route, parts);
      if (params !== undefined) return { route, params: params || undefined };
    }
    return undefined;
  }

  /** The methods that would match the path: the Allow header of a 405. */
  allowed(path: string): string[] {
    const out: string[] = [];
    for (const m of this.methods) if (this.match(m, path)) out.push(m);
    return out;
  }
}

function splitPath(path: string): string[] {
  const raw = path.slice(1).split('/');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i].includes('%')) {
      try {
        raw[i] = decodeURIComponent(raw[i]);
      } catch {
        throw invalidArgument('', 'malformed percent-encoding in the URL path');
      }
    }
  }
  return raw;
}

/** The params (null when there are none) or undefined for no match. Mirrors grpc-gateway's verb rule. */
function matchRoute(route: Route, parts: string[]): Record<string, unknown> | null | undefined {
  let comps = parts;
  if (route.verb) {
    const last = parts[parts.length - 1];
    const suffix = `:${route.verb}`;
    if (!last.endsWith(suffix) || last.length === suffix.length) return undefined;
    comps = parts.slice();
    comps[comps.length - 1] = last.slice(0, -suffix.length);
  }
  const segs = route.segments;
  if (route.deep ? comps.length < segs.length - 1 : comps.length !== segs.length) return undefined;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    if (s.kind === Seg.Deep) break;
    if (s.kind === Seg.Literal ? comps[i] !== s.value : comps[i] === '') return undefined;
  }
  if (route.vars.length === 0) return null;
  const params: Record<string, unknown> = Object.create(null);
  for (const v of route.vars) {
    const end = v.end === segs.length && route.deep ? comps.length : v.end;
    let node = params;
    for (let i = 0; i < v.fields.length - 1; i++) {
      const name = v.fields[i].name;
      node[name] ??= Object.create(null);
      node = node[name] as Record<string, unknown>;
    }
    node[v.fields[v.fields.length - 1].name] = end - v.start === 1 ? comps[v.start] : comps.slice(v.start, end).join('/');
  }
  return params;
}

/** Every annotated, unary method of the definition as a route. */
export function compileRoutes(
  table: RouteTable,
  def: GenericServiceDefinition,
  handlers: Record<string, UnaryHandler>,
  reg: Registry,
): void {
  for (const [key, m] of Object.entries(def.methods)) {
    const rules = httpRulesOf(m);
    if (rules.length === 0 || m.requestStream || m.responseStream) continue;
    const reqName = reg.typeNameOf(m.requestType);
    const resName = reg.typeNameOf(m.responseType);
    if (!reqName || !resName) throw new Error(`http: the registry lacks the messages of ${def.fullName}/${m.name}`);
    const request = reg.message(reqName);
    const response = reg.message(resName);
    for (const rule of rules) {
      table.add(
        compileRule(rule, {
          rpc: `${def.fullName}/${m.name}`,
          request,
          response,
          handler: handlers[m.name] ?? handlers[key],
        }),
      );
    }
  }
}

function httpRulesOf(m: GenericMethodDefinition): HttpRule[] {
  const raw = m.options?._unknownFields?.[HTTP_RULE_TAG];
  if (!raw || raw.length === 0) return [];
  // Each entry is the extension's bytes after its tag: a varint length, then the HttpRule. A
  // repeated occurrence of a singular message field merges; the last one wins for our fields.
  const rule = HttpRule.decode(new BinaryReader(raw[raw.length - 1]).bytes());
  return [rule, ...rule.additional_bindings];
}

type RouteBase = Pick<Route, 'rpc' | 'request' | 'response' | 'handler'>;

function compileRule(rule: HttpRule, base: RouteBase): Route {
  const [httpMethod, template] =
    rule.get !== undefined
      ? ['GET', rule.get]
      : rule.put !== undefined
        ? ['PUT', rule.put]
        : rule.post !== undefined
          ? ['POST', rule.post]
          : rule.delete !== undefined
            ? ['DELETE', rule.delete]
            : rule.patch !== undefined
              ? ['PATCH', rule.patch]
              : rule.custom
                ? [rule.custom.kind.toUpperCase(), rule.custom.path]
                : ['', ''];
  if (!httpMethod || !template.startsWith('/')) throw new Error(`http: ${base.rpc} has no usable pattern`);
  // Silently answering the whole message where the proto asks for one field would be wrong.
  if (rule.response_body) throw new Error(`http: ${base.rpc}: response_body is not supported yet`);
  const { segments, vars, verb } = parseTemplate(template, base);
  let body: Route['body'] = '';
  if (rule.body === '*') body = '*';
  else if (rule.body) {
    const f = base.request.byName.get(rule.body);
    if (!f || f.name !== rule.body) throw new Error(`http: ${base.rpc} body "${rule.body}" is not a field`);
    body = f;
  }
  return {
    ...base,
    httpMethod,
    template,
    body,
    responseKind: 'json',
    segments,
    verb,
    vars,
    deep: segments.length > 0 && segments[segments.length - 1].kind === Seg.Deep,
  };
}

/** google.api.http path templates: literals, `*`, `**`, `{field.path}`, `{field=a/*}`, `:verb`. */
function parseTemplate(template: string, base: RouteBase): Pick<Route, 'segments' | 'vars' | 'verb'> {
  const fail = (why: string) => new Error(`http: ${base.rpc} template ${template}: ${why}`);
  let path = template;
  let verb = '';
  const colon = path.lastIndexOf(':');
  if (colon > path.lastIndexOf('/') && colon > path.lastIndexOf('}')) {
    verb = path.slice(colon + 1);
    path = path.slice(0, colon);
  }
  const segments: Segment[] = [];
  const vars: PathVar[] = [];
  const simple = (s: string): Segment =>
    s === '*' ? { kind: Seg.Any, value: s } : s === '**' ? { kind: Seg.Deep, value: s } : { kind: Seg.Literal, value: s };
  let i = 1;
  while (i <= path.length) {
    if (path[i] === '{') {
      const close = path.indexOf('}', i);
      if (close < 0) throw fail('unclosed variable');
      const [fieldPath, sub] = path.slice(i + 1, close).split('=', 2);
      const start = segments.length;
      for (const s of (sub ?? '*').split('/')) segments.push(simple(s));
      vars.push({ fields: resolveFieldPath(base.request, fieldPath, fail), start, end: segments.length });
      i = close + 1;
      if (i < path.length && path[i] !== '/') throw fail('a variable must fill whole segments');
      i++;
    } else {
      let j = path.indexOf('/', i);
      if (j < 0) j = path.length;
      const s = path.slice(i, j);
      if (s === '' || s.includes('{') || s.includes('}')) throw fail('empty or malformed segment');
      segments.push(simple(s));
      i = j + 1;
    }
  }
  if (segments.some((s, k) => s.kind === Seg.Deep && k !== segments.length - 1)) throw fail('** must be last');
  return { segments, vars, verb };
}

function resolveFieldPath(msg: MessageInfo, fieldPath: string, fail: (why: string) => Error): FieldInfo[] {
  const chain: FieldInfo[] = [];
  let cur: MessageInfo | undefined = msg;
  for (const name of fieldPath.split('.')) {
    const f: FieldInfo | undefined = cur?.byName.get(name);
    if (!f || f.name !== name) throw fail(`no field ${fieldPath}`);
    chain.push(f);
    cur = f.message;
  }
  const leaf = chain[chain.length - 1];
  const scalar = leaf.type !== T.MESSAGE || ['timestamp', 'duration', 'wrapper', 'fieldmask'].includes(leaf.wellKnown ?? '');
  if (leaf.repeated || leaf.map || !scalar || chain.slice(0, -1).some((f) => f.repeated || f.map || f.wellKnown)) {
    throw fail(`${fieldPath} cannot be bound to the path`);
  }
  return chain;
}
