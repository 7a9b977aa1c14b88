// The `signet` command: finds the command, checks its arguments, runs it and maps failures to
// exit codes (0 ok, 1 server error, 2 usage error, 3 admin API unreachable).
import { ConfigError } from '../config.js';
import { connectAdmin, resolveConnection, type AdminApi, type AdminConnection } from './admin.js';
import { auditCommands } from './audit.js';
import {
  GLOBAL_OPTIONS,
  parseCommandLine,
  str,
  usageOf,
  UsageError,
  type CommandContext,
  type CommandSpec,
  type OptionName,
} from './args.js';
import { clientCommands } from './clients.js';
import { CliError, EXIT, grpcErrorToCli, isServiceError } from './errors.js';
import { keyCommands } from './keys.js';
import { createOutput } from './output.js';
import { loadApp, serverCommands, type AppModule } from './server.js';
import { tenantCommands } from './tenants.js';
import { userCommands } from './users.js';
import { sessionCommands } from './sessions.js';
import { consentCommands } from './consents.js';
import { ticketKeyCommands } from './ticket-keys.js';

export interface CliDeps {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  env: Record<string, string | undefined>;
  /** Opens the admin API; tests pass a fake. */
  connect?(conn: AdminConnection): AdminApi;
  /** Loads src/app.ts for serve and migrate; tests pass a fake. */
  loadApp?(): Promise<AppModule>;
  /** Called once `serve` has started the server. */
  onServing?(): void;
  /** The clock; tests pass a fixed one. */
  now?(): Date;
}

export function commands(load: () => Promise<AppModule> = loadApp): CommandSpec[] {
  return [
    ...serverCommands(load),
    ...tenantCommands,
    ...clientCommands,
    ...userCommands,
    ...sessionCommands,
    ...consentCommands,
    ...auditCommands,
    ...keyCommands,
    ...ticketKeyCommands,
  ];
}

/** Runs one command line; resolves to the exit code. Never throws for expected failures. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  const specs = commands(deps.loadApp);
  let admin: AdminApi | undefined;
  let adminUrl = '';
  let command = '';
  try {
    const { words, values } = parseCommandLine(argv);
    const out = createOutput(values.json === true, deps.stdout);
    if (words.length === 0 && values.help !== true) {
      deps.stderr(`${topHelp(specs)}\n`);
      return EXIT.USAGE;
    }
    const found = findCommand(specs, words, values.help === true);
    if (typeof found === 'string') {
      deps.stdout(`${found}\n`);
      return EXIT.OK;
    }
    const spec = found;
    command = spec.path.join(' ');
    const args = words.slice(spec.path.length);
    checkInput(spec, args, values);

    const ctx: CommandContext = {
      out,
      env: deps.env,
      readStdin: deps.readStdin,
      onServing: () => deps.onServing?.(),
      now: () => deps.now?.() ?? new Date(),
      admin() {
        if (!admin) {
          const conn = resolveConnection(deps.env, str(values, 'admin-url'));
          adminUrl = conn.url;
          admin = (deps.connect ?? connectAdmin)(conn);
        }
        return admin;
      },
    };
    await spec.run(ctx, { args, values });
    return EXIT.OK;
  } catch (err) {
    return report(err, command, adminUrl, deps.stderr);
  } finally {
    admin?.close();
  }
}

/** The command to run, or help text to print. */
function findCommand(specs: CommandSpec[], words: string[], help: boolean): CommandSpec | string {
  if (words.length === 0) return topHelp(specs);
  const group = specs.filter((s) => s.path[0] === words[0]);
  if (group.length === 0) throw new UsageError(`unknown command "${words[0]}"`);
  const spec = group.find((s) => s.path.every((w, i) => words[i] === w));
  if (!spec) {
    if (help && words.length === 1) return groupHelp(words[0], group);
    const names = group.map((s) => s.path[1]).join(', ');
    throw new UsageError(
      words.length === 1
        ? `"${words[0]}" needs a subcommand: ${names}`
        : `unknown command "${words[0]} ${words[1]}" (${words[0]}: ${names})`,
      words[0],
    );
  }
  return help ? commandHelp(spec) : spec;
}

function checkInput(spec: CommandSpec, args: string[], values: Record<string, unknown>): void {
  const command = spec.path.join(' ');
  const allowed = new Set([...Object.keys(GLOBAL_OPTIONS), ...Object.keys(spec.options ?? {})]);
  for (const name of Object.keys(values)) {
    if (!allowed.has(name)) throw new UsageError(`"${command}" has no option --${name}`, command);
  }
  const expected = spec.args ?? [];
  if (args.length > expected.length) {
    throw new UsageError(`unexpected argument "${args[expected.length]}"`, command);
  }
  // `[NAME]` is optional (and only trails the required ones).
  const required = expected.filter((a) => !a.startsWith('['));
  if (args.length < required.length) {
    throw new UsageError(`missing ${required.slice(args.length).join(' ')}`, command);
  }
  for (const [i, arg] of args.entries()) {
    if (arg.trim() === '') throw new UsageError(`${expected[i]} is empty`, command);
  }
  for (const name of spec.required ?? []) {
    const v = values[name];
    if (v === undefined) throw new UsageError(`--${name} is required`, command);
    if (typeof v === 'string' && v.trim() === '') throw new UsageError(`--${name} is empty`, command);
  }
}

function report(err: unknown, command: string, adminUrl: string, stderr: (text: string) => void): number {
  let e = err;
  if (isServiceError(e)) e = grpcErrorToCli(e, adminUrl);
  if (e instanceof UsageError) {
    const at = e.command || command;
    stderr(`error: ${e.message}\n`);
    stderr(`run "signet ${at ? `${at} ` : ''}--help" for usage\n`);
    return EXIT.USAGE;
  }
  if (e instanceof CliError) {
    stderr(`error: ${e.message}\n`);
    if (e.hint) stderr(`hint: ${e.hint}\n`);
    return e.exitCode;
  }
  if (e instanceof ConfigError) {
    stderr(`error: ${e.message}\n`);
    return EXIT.USAGE;
  }
  // Anything else is unexpected; a programming error deserves its stack.
  const bug = e instanceof TypeError || e instanceof ReferenceError || e instanceof SyntaxError;
  stderr(`error: ${e instanceof Error ? (bug ? e.stack : e.message) : String(e)}\n`);
  return EXIT.SERVER;
}

function topHelp(specs: CommandSpec[]): string {
  const line = (s: CommandSpec) => {
    const usage = [s.path.join(' '), ...(s.args ?? []), usageOf(s.options ?? {}, s.required)].filter(Boolean);
    return `  ${usage.join(' ')}`;
  };
  const server = specs.filter((s) => s.path.length === 1);
  const adminSpecs = specs.filter((s) => s.path.length > 1);
  return [
    'signet: sign-in and token service',
    '',
    'Usage: signet <command> [options]',
    '',
    'Server:',
    ...server.map((s) => `  ${s.path[0].padEnd(10)} ${s.summary}`),
    '',
    'Administration (through the admin API of a running `signet serve`):',
    ...adminSpecs.map(line),
    '',
    'Options for every command:',
    ...globalOptionLines(),
    '',
    'The admin token is read from SIGNET_ADMIN_TOKEN, else from $SIGNET_DATA_DIR/admin-token',
    '(./data/admin-token by default), which the server writes on its first start.',
    'Exit codes: 0 ok, 1 error from the server, 2 usage error, 3 admin API unreachable.',
    'Run "signet <command> --help" for a command\'s options.',
  ].join('\n');
}

function groupHelp(group: string, specs: CommandSpec[]): string {
  return [
    `Usage: signet ${group} <command> [options]`,
    '',
    ...specs.map((s) => `  ${[s.path[1], ...(s.args ?? [])].join(' ').padEnd(20)} ${s.summary}`),
    '',
    `Run "signet ${group} <command> --help" for a command's options.`,
  ].join('\n');
}

function commandHelp(spec: CommandSpec): string {
  const options = spec.options ?? {};
  const usage = [`signet ${spec.path.join(' ')}`, ...(spec.args ?? []), usageOf(options, spec.required)];
  const rows = Object.entries(options).map(([name, text]) => [flag(name), text] as const);
  const width = Math.max(0, ...rows.map(([f]) => f.length), ...globalOptionRows().map(([f]) => f.length));
  return [
    `Usage: ${usage.filter(Boolean).join(' ')}`,
    '',
    spec.summary,
    ...(spec.notes?.length ? ['', ...spec.notes] : []),
    ...(rows.length ? ['', 'Options:', ...rows.map(([f, t]) => `  ${f.padEnd(width)}  ${t}`)] : []),
    '',
    'Global options:',
    ...globalOptionRows().map(([f, t]) => `  ${f.padEnd(width)}  ${t}`),
  ].join('\n');
}

function flag(name: string): string {
  const usage = usageOf({ [name]: '' }, [name as OptionName]);
  return name === 'help' ? `-h, ${usage}` : usage;
}

const globalOptionRows = () => Object.entries(GLOBAL_OPTIONS).map(([name, text]) => [flag(name), text] as const);

function globalOptionLines(): string[] {
  const rows = globalOptionRows();
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, t]) => `  ${f.padEnd(width)}  ${t}`);
}
