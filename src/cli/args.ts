// Command-line parsing on node:util parseArgs. Every option has one meaning (and one type) across
// all commands, so argv is parsed once; each command then says which options it accepts.
import { parseArgs } from 'node:util';
import type { AdminApi } from './admin.js';
import type { Output } from './output.js';

/** A mistake on the command line: exit code 2, with a pointer to --help. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help to point at ("users create"), empty for the top level. */
    readonly command = '',
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

interface OptionDef {
  type: 'string' | 'boolean';
  /** Placeholder in usage lines. */
  value?: string;
  short?: string;
}

/** Every option of every command. */
export const OPTIONS = {
  // global
  'admin-url': { type: 'string', value: 'URL' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  // commands
  id: { type: 'string', value: 'ID' },
  name: { type: 'string', value: 'N' },
  tenant: { type: 'string', value: 'T' },
  'hide-unknown-users': { type: 'boolean' },
  'sign-up': { type: 'string', value: 'on|off' },
  'sign-up-methods': { type: 'string', value: 'a,b' },
  'anonymous-sign-in': { type: 'string', value: 'on|off' },
  'password-min-length': { type: 'string', value: 'N' },
  'password-max-length': { type: 'string', value: 'N' },
  'password-classes': { type: 'string', value: 'a,b' },
  'password-reject-identifiers': { type: 'string', value: 'on|off' },
  'password-reject-common': { type: 'string', value: 'on|off' },
  'display-name': { type: 'string', value: 'TITLE' },
  'logo-url': { type: 'string', value: 'URL' },
  'primary-color': { type: 'string', value: '#rrggbb' },
  'bypass-policy': { type: 'boolean' },
  public: { type: 'boolean' },
  'grant-types': { type: 'string', value: 'a,b' },
  scopes: { type: 'string', value: 'a,b' },
  'access-ttl': { type: 'string', value: 'S' },
  'refresh-ttl': { type: 'string', value: 'S' },
  'max-sessions': { type: 'string', value: 'N' },
  'password-encryption': { type: 'string', value: 'none|rsa|required' },
  'reject-replayed-passwords': { type: 'boolean' },
  'redirect-uris': { type: 'string', value: 'a,b' },
  'first-party': { type: 'string', value: 'on|off' },
  'custom-ticket-sign-up': { type: 'string', value: 'on|off' },
  client: { type: 'string', value: 'C' },
  kid: { type: 'string', value: 'KID' },
  'key-file': { type: 'string', value: 'PATH' },
  alg: { type: 'string', value: 'ALG' },
  username: { type: 'string', value: 'U' },
  email: { type: 'string', value: 'E' },
  phone: { type: 'string', value: 'P' },
  password: { type: 'string', value: 'P' },
  'password-stdin': { type: 'boolean' },
  type: { type: 'string', value: 'P|C' },
  status: { type: 'string', value: 'S' },
  groups: { type: 'string', value: 'a,b' },
  user: { type: 'string', value: 'U' },
  event: { type: 'string', value: 'E' },
  since: { type: 'string', value: 'TIME' },
  limit: { type: 'string', value: 'N' },
} as const satisfies Record<string, OptionDef>;

export type OptionName = keyof typeof OPTIONS;
export type OptionValues = Partial<Record<OptionName, string | boolean>>;

export const GLOBAL_OPTIONS: Record<string, string> = {
  'admin-url': 'admin API address (env SIGNET_ADMIN_URL; default 127.0.0.1:$SIGNET_ADMIN_PORT, port 50052)',
  json: 'machine-readable JSON output',
  help: 'show help',
};

export interface ParsedCommandLine {
  /** Positionals: the command words, then the command's arguments. */
  words: string[];
  values: OptionValues;
}

/** Parses argv against every known option; unknown options are usage errors. */
export function parseCommandLine(argv: string[]): ParsedCommandLine {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    return { words: positionals, values: values as OptionValues };
  } catch (err) {
    // parseArgs errors are TypeErrors with readable messages and ERR_PARSE_ARGS_* codes.
    if (err instanceof Error && String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(err.message.replace(/\n/g, ' '));
    }
    throw err;
  }
}

/** How a command's options appear in its usage line, e.g. `--id ID [--name N] [--public]`. */
export function usageOf(options: Record<string, string>, required: readonly string[] = []): string {
  return Object.keys(options)
    .map((name) => {
      const def: OptionDef = OPTIONS[name as OptionName];
      const text = def.type === 'string' ? `--${name} ${def.value}` : `--${name}`;
      return required.includes(name) ? text : `[${text}]`;
    })
    .join(' ');
}

/** The option as a string; undefined when absent. */
export function str(values: OptionValues, name: OptionName): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A comma-separated list; empty items are dropped. */
export function list(values: OptionValues, name: OptionName): string[] {
  const v = str(values, name);
  return v === undefined
    ? []
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

/** A whole number from 1 to 2^31-1 (the proto fields are int32), or undefined when absent. */
export function positiveInt(values: OptionValues, name: OptionName, command: string): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > 2 ** 31 - 1) {
    throw new UsageError(`--${name} must be a positive whole number, got "${v}"`, command);
  }
  return n;
}

/** One of the allowed values, or undefined when absent. */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], what: string, command: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${what} must be one of ${allowed.join(', ')}, got "${value}"`, command);
  }
  return value as T;
}

/** What a command needs at run time. */
export interface CommandContext {
  /** Connects on first use; serve and migrate never call it. */
  admin(): AdminApi;
  out: Output;
  env: Record<string, string | undefined>;
  readStdin(): Promise<string>;
  /** Called by `serve` once the server runs, so that main keeps the process alive. */
  onServing(): void;
  /** The current time (relative --since values count back from it). */
  now(): Date;
}

export interface CommandInput {
  args: string[];
  values: OptionValues;
}

export interface CommandSpec {
  /** The command words: ['serve'] or ['users', 'create']. */
  path: readonly string[];
  /** Positional arguments as shown in help: ['ID', 'STATUS']; `[NAME]` is an optional one (last). */
  args?: readonly string[];
  /** Accepted options with their help text; the global ones are always accepted. */
  options?: Record<string, string>;
  required?: readonly OptionName[];
  summary: string;
  /** Extra lines for --help. */
  notes?: readonly string[];
  run(ctx: CommandContext, input: CommandInput): Promise<void>;
}

/** Reads a password from --password or --password-stdin (one trailing newline stripped). */
export async function readPassword(
  ctx: CommandContext,
  values: OptionValues,
  command: string,
  required: boolean,
): Promise<string | undefined> {
  const inline = str(values, 'password');
  const fromStdin = values['password-stdin'] === true;
  if (inline !== undefined && fromStdin) {
    throw new UsageError('give either --password or --password-stdin, not both', command);
  }
  let password = inline;
  if (fromStdin) password = (await ctx.readStdin()).replace(/\r?\n$/, '');
  if (password === undefined) {
    if (required) throw new UsageError('a password is required: --password P or --password-stdin', command);
    return undefined;
  }
  if (password === '') throw new UsageError('the password is empty', command);
  return password;
}
