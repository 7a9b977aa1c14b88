// Output: aligned tables and key/value records for people, JSON for scripts. JSON uses the proto
// JSON mapping (lowerCamelCase names, RFC 3339 timestamps, every field present), as the REST API
// and grpcurl render the same messages.

export interface Output {
  readonly json: boolean;
  /** A line (or lines) of text on stdout. */
  line(text: string): void;
  /** A message: JSON when --json, else the human rendering. */
  show(value: unknown, human: () => string): void;
}

export function createOutput(json: boolean, write: (text: string) => void): Output {
  return {
    json,
    line: (text) => write(`${text}\n`),
    show: (value, human) => write(`${json ? JSON.stringify(toJson(value), null, 2) : human()}\n`),
  };
}

/** snake_case keys to lowerCamelCase, Dates to RFC 3339 strings, undefined dropped. */
export function toJson(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = toJson(v);
    }
    return out;
  }
  return value;
}

/** A timestamp as 2024-05-01T10:00:00Z; '-' when unset. */
export function date(d: Date | undefined): string {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** Shows server-supplied text safely: control characters (terminal escapes) are escaped. */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const cell = (v: string | number | boolean | undefined | null): string => {
  if (v === undefined || v === null || v === '') return '-';
  return clean(String(v));
};

/** Columns padded to the widest cell, CJK counted as two columns. */
export function table(headers: string[], rows: (string | number | boolean | undefined | null)[][]): string {
  const cells = rows.map((r) => r.map(cell));
  const widths = headers.map((h, i) => Math.max(width(h), ...cells.map((r) => width(r[i] ?? ''))));
  const render = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i] - width(c))))
      .join('  ')
      .trimEnd();
  return [render(headers), ...cells.map(render)].join('\n');
}

/** `key: value` lines with the values aligned. */
export function record(pairs: [string, string | number | boolean | undefined | null][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(w)} ${cell(v)}`).join('\n');
}

export const joined = (items: string[] | undefined): string => (items?.length ? items.join(',') : '');

/** Terminal columns a string takes: East Asian wide and fullwidth characters count double. */
export function width(text: string): number {
  let w = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    w += isWide(cp) ? 2 : 1;
  }
  return w;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}
