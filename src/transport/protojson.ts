// Protobuf JSON as grpc-gateway speaks it (protojson with UseProtoNames), over the objects ts-proto
// generates. Decoding is strict, as the gateway's unmarshaler is: a field it does not know or a
// value of the wrong type is the client's error, named in a BadRequest field violation.
import { invalidArgument, type SignetError } from '../domain/errors.js';
import { defaultRegistry, T, wellKnownOf, type FieldInfo, type MessageInfo, type Registry } from './registry.js';

/**
 * Where values come from. Query strings and path variables carry every value as text, so there
 * booleans and enum numbers are read from strings, and (as in grpc-gateway) unknown query
 * parameters are ignored rather than rejected.
 */
export type Source = 'json' | 'query' | 'path';

const bad = (field: string, description: string): SignetError => invalidArgument(field, description);
const join = (path: string, name: string) => (path ? `${path}.${name}` : name);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const DURATION = /^(-)?(\d{1,12})(?:\.(\d{1,9}))?s$/;
const MAX_DURATION_SECONDS = 315_576_000_000;
// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z, the range protojson allows.
const MIN_TIME = -62_135_596_800_000;
const MAX_TIME = 253_402_300_799_999;
const FLOAT_MAX = 3.4028234663852886e38;
// strconv.ParseBool, which grpc-gateway's query parser uses.
const QUERY_BOOLS: Record<string, boolean> = {
  true: true,
  True: true,
  TRUE: true,
  t: true,
  T: true,
  '1': true,
  false: false,
  False: false,
  FALSE: false,
  f: false,
  F: false,
  '0': false,
};

/** Parses a JSON value (already JSON.parse'd) into a ts-proto message of typeName. */
export function decodeJson<M = any>(typeName: string, json: unknown, path = '', registry: Registry = defaultRegistry()): M {
  const info = registry.message(typeName);
  return info.codec!.fromPartial(readMessage(info, json, path, 'json', registry));
}

/** The JSON object of a ts-proto message: proto names, unpopulated scalars emitted. */
export function encodeJson(typeName: string, message: unknown, registry: Registry = defaultRegistry()): Record<string, unknown> {
  return writeMessage(registry.message(typeName), (message ?? {}) as Record<string, unknown>, registry);
}

/** encodeJson for a MessageInfo already at hand (the transcoder resolves its types at start-up). */
export function encodeMessage(info: MessageInfo, message: unknown, registry: Registry): Record<string, unknown> {
  return writeMessage(info, (message ?? {}) as Record<string, unknown>, registry);
}

/**
 * The fields present in json, by proto name, converted but without defaults: what the transcoder
 * merges from the query string, the body and the path before codec.fromPartial fills the rest.
 */
export function readMessage(info: MessageInfo, json: unknown, path: string, src: Source, reg: Registry): Record<string, unknown> {
  if (!isObject(json)) throw bad(path, 'expected a JSON object');
  const out: Record<string, unknown> = {};
  for (const key in json) {
    const f = info.byName.get(key);
    if (f === undefined) {
      if (src === 'query') continue;
      throw bad(join(path, key), 'unknown field');
    }
    const fpath = join(path, f.name);
    if (Object.hasOwn(out, f.name)) throw bad(fpath, 'duplicate field');
    const v = json[key];
    // null means "default" in protojson, except for google.protobuf.Value where it is a value.
    if (v === null && f.wellKnown !== 'value') continue;
    out[f.name] = readField(f, v, fpath, src, reg);
  }
  return out;
}

/** One field's value (list, map or single) as readMessage would store it. */
export function readField(f: FieldInfo, v: unknown, path: string, src: Source, reg: Registry): unknown {
  if (f.map) return readMap(f, v, path, src, reg);
  if (f.repeated) {
    if (!Array.isArray(v)) {
      // ?groups=a gives one string where ?groups=a&groups=b gives a list.
      if (src !== 'json' && typeof v === 'string') return [readSingle(f, v, path, src, reg)];
      throw bad(path, 'expected a JSON array');
    }
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      if (v[i] === null) throw bad(`${path}[${i}]`, 'null is not allowed in a list');
      out[i] = readSingle(f, v[i], `${path}[${i}]`, src, reg);
    }
    return out;
  }
  if (src !== 'json' && Array.isArray(v)) throw bad(path, 'too many values for a single field');
  return readSingle(f, v, path, src, reg);
}

function readMap(f: FieldInfo, v: unknown, path: string, src: Source, reg: Registry): unknown {
  if (!isObject(v)) throw bad(path, 'expected a JSON object');
  const { key: kf, value: vf } = f.map!;
  const out: Record<string, unknown> = {};
  for (const k in v) {
    const p = `${path}[${JSON.stringify(k)}]`;
    if (k === '__proto__') throw bad(p, 'invalid map key');
    // Map keys are always JSON strings; a numeric or boolean key is read from its text.
    const key = kf.type === T.STRING ? k : readSingle(kf, k, p, 'query', reg);
    if (v[k] === null) throw bad(p, 'null is not allowed in a map');
    out[String(key)] = readSingle(vf, v[k], p, src, reg);
  }
  return out;
}

function readSingle(f: FieldInfo, v: unknown, path: string, src: Source, reg: Registry): unknown {
  switch (f.type) {
    case T.STRING:
      if (typeof v === 'string') return v;
      throw bad(path, 'expected a string');
    case T.BOOL:
      if (typeof v === 'boolean') return v;
      if (src !== 'json' && typeof v === 'string' && QUERY_BOOLS[v] !== undefined) return QUERY_BOOLS[v];
      throw bad(path, 'expected a boolean');
    case T.INT32:
    case T.SINT32:
    case T.SFIXED32:
      return readInt(v, path, -2147483648, 2147483647);
    case T.UINT32:
    case T.FIXED32:
      return readInt(v, path, 0, 4294967295);
    // forceLong=number: a 64-bit value that a double cannot hold exactly is refused, not rounded.
    case T.INT64:
    case T.SINT64:
    case T.SFIXED64:
      return readInt(v, path, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    case T.UINT64:
    case T.FIXED64:
      return readInt(v, path, 0, Number.MAX_SAFE_INTEGER);
    case T.FLOAT:
    case T.DOUBLE:
      return readFloat(v, path, f.type === T.FLOAT);
    case T.BYTES:
      if (typeof v === 'string' && BASE64.test(v) && v.replace(/=+$/, '').length % 4 !== 1) {
        return Buffer.from(v, 'base64');
      }
      throw bad(path, 'expected base64-encoded bytes');
    case T.ENUM:
      return readEnum(f, v, path, src);
    default:
      return readMessageField(f, v, path, src, reg);
  }
}

function readInt(v: unknown, path: string, min: number, max: number): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && NUMBER.test(v)) n = Number(v);
  else throw bad(path, 'expected an integer');
  if (!Number.isInteger(n)) throw bad(path, 'expected an integer');
  if (n < min || n > max) throw bad(path, 'integer out of range');
  return n === 0 ? 0 : n;
}

function readFloat(v: unknown, path: string, single: boolean): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (v === 'NaN') return NaN;
  else if (v === 'Infinity') return Infinity;
  else if (v === '-Infinity') return -Infinity;
  else if (typeof v === 'string' && NUMBER.test(v)) n = Number(v);
  else throw bad(path, 'expected a number');
  if (!Number.isFinite(n) || (single && Math.abs(n) > FLOAT_MAX)) throw bad(path, 'number out of range');
  return n;
}

function readEnum(f: FieldInfo, v: unknown, path: string, src: Source): number {
  const e = f.enumInfo!;
  if (typeof v === 'string') {
    const n = e.byName.get(v);
    if (n !== undefined) return n;
    if (src !== 'json' && /^-?\d{1,10}$/.test(v)) return readInt(v, path, -2147483648, 2147483647);
    throw bad(path, `unknown value for enum ${e.typeName}`);
  }
  // Enums are open in proto3: an unknown number is kept.
  if (typeof v === 'number') return readInt(v, path, -2147483648, 2147483647);
  throw bad(path, 'expected an enum name or number');
}

function readMessageField(f: FieldInfo, v: unknown, path: string, src: Source, reg: Registry): unknown {
  switch (f.wellKnown) {
    case 'timestamp':
      return parseTimestamp(v, path);
    case 'duration':
      return parseDuration(v, path);
    case 'wrapper':
      return readSingle(scalarField(f.wrapped!), v, path, src, reg);
    case 'value':
      return v;
    case 'struct':
      if (isObject(v)) return v;
      throw bad(path, 'expected a JSON object');
    case 'listvalue':
      if (Array.isArray(v)) return v;
      throw bad(path, 'expected a JSON array');
    case 'fieldmask':
      if (typeof v !== 'string') throw bad(path, 'expected a field mask string');
      return v === '' ? [] : v.split(',').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    case 'any':
      return readAny(v, path, src, reg);
    default:
      return readMessage(f.message!, v, path, src, reg);
  }
}

function readAny(v: unknown, path: string, src: Source, reg: Registry): unknown {
  if (!isObject(v)) throw bad(path, 'expected a JSON object');
  const url = v['@type'];
  if (typeof url !== 'string') throw bad(join(path, '@type'), 'expected a type URL');
  const name = url.slice(url.lastIndexOf('/') + 1);
  const info = reg.messages.get(name);
  if (!info?.codec) throw bad(join(path, '@type'), `unknown type ${name}`);
  const wk = wellKnownOf(name);
  let message: unknown;
  if (wk === 'timestamp' || wk === 'duration') {
    for (const k in v) if (k !== '@type' && k !== 'value') throw bad(join(path, k), 'unknown field');
    message = wk === 'duration' ? parseDuration(v.value, join(path, 'value')) : timestampOf(parseTimestamp(v.value, join(path, 'value')));
  } else if (wk) {
    throw bad(join(path, '@type'), `${name} is not supported in google.protobuf.Any`);
  } else {
    const { '@type': _, ...fields } = v;
    message = info.codec.fromPartial(readMessage(info, fields, path, src, reg));
  }
  return { type_url: url, value: Buffer.from(info.codec.encode(info.codec.fromPartial(message)).finish()) };
}

function parseTimestamp(v: unknown, path: string): Date {
  const m = typeof v === 'string' ? TIMESTAMP.exec(v) : null;
  if (!m) throw bad(path, 'expected an RFC 3339 timestamp');
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  const days = [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1] ?? 0;
  if (mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59 || s > 59) {
    throw bad(path, 'expected an RFC 3339 timestamp');
  }
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0);
  let t = date.getTime();
  if (m[8]) t -= (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) * 60_000;
  if (t < MIN_TIME || t > MAX_TIME) throw bad(path, 'timestamp out of range');
  return new Date(t);
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

function parseDuration(v: unknown, path: string): { seconds: number; nanos: number } {
  const m = typeof v === 'string' ? DURATION.exec(v) : null;
  if (!m) throw bad(path, 'expected a duration such as "1.5s"');
  const seconds = Number(m[2]);
  if (seconds > MAX_DURATION_SECONDS) throw bad(path, 'duration out of range');
  const nanos = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
  const sign = m[1] ? -1 : 1;
  return { seconds: seconds === 0 ? 0 : sign * seconds, nanos: nanos === 0 ? 0 : sign * nanos };
}

const timestampOf = (d: Date) => {
  const ms = d.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
};

const scalars = new Map<number, FieldInfo>();
function scalarField(type: number): FieldInfo {
  let f = scalars.get(type);
  if (!f) {
    f = { name: 'value', jsonName: 'value', number: 1, type, typeName: '', repeated: false, presence: false };
    scalars.set(type, f);
  }
  return f;
}

// ---- encoding ----

function writeMessage(info: MessageInfo, msg: Record<string, unknown>, reg: Registry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of info.fields) {
    const v = msg[f.name];
    if (f.map) {
      const m: Record<string, unknown> = {};
      if (v) for (const k of Object.keys(v)) m[k] = writeSingle(f.map.value, (v as any)[k], reg);
      out[f.name] = m;
    } else if (f.repeated) {
      out[f.name] = Array.isArray(v) ? v.map((x) => writeSingle(f, x, reg)) : [];
    } else if (v === undefined || v === null) {
      if (!f.presence) out[f.name] = zeroJson(f);
    } else {
      out[f.name] = writeSingle(f, v, reg);
    }
  }
  return out;
}

function zeroJson(f: FieldInfo): unknown {
  switch (f.type) {
    case T.STRING:
    case T.BYTES:
      return '';
    case T.BOOL:
      return false;
    case T.INT64:
    case T.UINT64:
    case T.SINT64:
    case T.FIXED64:
    case T.SFIXED64:
      return '0';
    case T.ENUM:
      return f.enumInfo!.byNumber.get(0) ?? 0;
    default:
      return 0;
  }
}

function writeSingle(f: FieldInfo, v: any, reg: Registry): unknown {
  switch (f.type) {
    case T.STRING:
    case T.BOOL:
    case T.INT32:
    case T.SINT32:
    case T.SFIXED32:
    case T.UINT32:
    case T.FIXED32:
      return v;
    case T.INT64:
    case T.SINT64:
    case T.SFIXED64:
    case T.UINT64:
    case T.FIXED64:
      return String(v);
    case T.FLOAT:
    case T.DOUBLE:
      return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    case T.BYTES:
      return (Buffer.isBuffer(v) ? v : Buffer.from(v)).toString('base64');
    case T.ENUM:
      return f.enumInfo!.byNumber.get(v) ?? v;
  }
  switch (f.wellKnown) {
    case 'timestamp':
      return formatTimestamp(v);
    case 'duration':
      return formatDuration(v);
    case 'wrapper':
      return writeSingle(scalarField(f.wrapped!), v, reg);
    case 'value':
    case 'struct':
    case 'listvalue':
      return v;
    case 'fieldmask':
      return (v as string[]).map((p) => p.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())).join(',');
    case 'any':
      return writeAny(v, reg);
    default:
      return writeMessage(f.message!, v, reg);
  }
}

function writeAny(v: { type_url: string; value: Uint8Array }, reg: Registry): Record<string, unknown> {
  const name = v.type_url.slice(v.type_url.lastIndexOf('/') + 1);
  const info = reg.message(name);
  const inner = info.codec!.decode(v.value);
  const wk = wellKnownOf(name);
  if (wk === 'timestamp') {
    return { '@type': v.type_url, value: formatTimestamp(new Date(inner.seconds * 1000 + Math.floor(inner.nanos / 1e6))) };
  }
  if (wk === 'duration') return { '@type': v.type_url, value: formatDuration(inner) };
  return { '@type': v.type_url, ...writeMessage(info, inner, reg) };
}

/** RFC 3339 in UTC with 0 or 3 fractional digits, as protojson writes a millisecond value. */
export function formatTimestamp(d: Date): string {
  const t = d.getTime();
  if (!(t >= MIN_TIME && t <= MAX_TIME)) throw new RangeError(`timestamp out of range: ${t}`);
  const s = d.toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

/** protojson's Duration: "840s", "1.500s", "-0.000001s". */
export function formatDuration(d: { seconds: number; nanos: number }): string {
  const neg = d.seconds < 0 || d.nanos < 0;
  let out = String(Math.abs(d.seconds));
  const nanos = Math.abs(d.nanos);
  if (nanos) {
    let frac = String(nanos).padStart(9, '0');
    if (frac.endsWith('000000')) frac = frac.slice(0, 3);
    else if (frac.endsWith('000')) frac = frac.slice(0, 6);
    out += `.${frac}`;
  }
  return `${neg ? '-' : ''}${out}s`;
}

/** A Duration message of a number of seconds (fractions kept to the nanosecond). */
export function durationOf(seconds: number): { seconds: number; nanos: number } {
  const whole = Math.trunc(seconds);
  const nanos = Math.round((seconds - whole) * 1e9);
  return { seconds: whole === 0 ? 0 : whole, nanos: nanos === 0 ? 0 : nanos };
}
