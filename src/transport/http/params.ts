// The parameters of the hand-written routes (the HZERO dialect, OIDC logout), read as a Spring
// back end reads them: from the query string and from an application/x-www-form-urlencoded body,
// the first value of a name winning (query first, as ServletRequest.getParameter has it). A JSON
// body is not read: these routes never took one, and reading it would make a second,
// undocumented JSON dialect.
import { invalidArgument } from '../../domain/errors.js';
import type { HttpExchange } from './server.js';

/** Parameters by name; `get` answers '' for a missing one, as the proto's defaults do. */
export class Params {
  constructor(private readonly values: ReadonlyMap<string, string>) {}

  /** The first of the names that is present (HZERO spells some two ways). */
  get(...names: string[]): string {
    for (const n of names) {
      const v = this.values.get(n);
      if (v !== undefined) return v;
    }
    return '';
  }

  has(name: string): boolean {
    return this.values.has(name);
  }
}

/** `a=1&b=x+y&a=2` → a: '1', b: 'x y'. Malformed percent-encoding is invalid_argument. */
export function parseForm(text: string, into = new Map<string, string>()): Map<string, string> {
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    if (key !== '' && !into.has(key)) into.set(key, value);
  }
  return into;
}

function decode(s: string): string {
  const plus = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    throw invalidArgument('', 'malformed percent-encoding');
  }
}

const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/** The query string, then (POST only) a form-encoded body; any other body is left unread. */
export async function readParams(x: HttpExchange): Promise<Params> {
  const values = parseForm(x.query);
  if (x.req.method === 'POST' && FORM.test(x.req.headers['content-type'] ?? '')) {
    parseForm((await x.readBody()).toString('utf8'), values);
  }
  return new Params(values);
}
