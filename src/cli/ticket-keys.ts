// signet ticket-keys add | list | remove: the public keys a client's backend signs custom
// sign-in tickets with.
import { readFileSync } from 'node:fs';
import type { TicketKey } from '../gen/signet/auth/v1/ticket.js';
import { oneOf, str, UsageError, type CommandContext, type CommandSpec, type OptionValues } from './args.js';
import { date, record, table } from './output.js';

const ADD = 'ticket-keys add';
const ALGS = ['RS256', 'ES256', 'EdDSA'] as const;

export function ticketKeyRecord(k: TicketKey): string {
  return record([
    ['client_id', k.client_id],
    ['kid', k.kid],
    ['alg', k.alg],
    ['public_jwk', k.public_jwk],
    ['created_at', date(k.created_at)],
  ]);
}

export function ticketKeyTable(keys: TicketKey[]): string {
  if (keys.length === 0) return 'no ticket keys';
  return table(
    ['KID', 'ALG', 'CREATED'],
    keys.map((k) => [k.kid, k.alg, date(k.created_at)]),
  );
}

/** The key file's text; "-" reads standard input. */
async function readKey(ctx: CommandContext, values: OptionValues): Promise<string> {
  const file = str(values, 'key-file')!;
  let text: string;
  try {
    text = file === '-' ? await ctx.readStdin() : readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ADD);
  }
  if (text.trim() === '') throw new UsageError(`${file === '-' ? 'standard input' : file} is empty`, ADD);
  return text;
}

export const ticketKeyCommands: CommandSpec[] = [
  {
    path: ['ticket-keys', 'add'],
    summary: "register a public key the client's backend signs custom sign-in tickets with",
    options: {
      client: 'the client whose tickets the key signs',
      kid: 'the key id tickets name in their header (unique per client)',
      'key-file': 'the public key: a PEM file ("BEGIN PUBLIC KEY") or a JWK as JSON; "-" reads standard input',
      alg: "RS256, ES256 or EdDSA (default: the key's own)",
    },
    required: ['client', 'kid', 'key-file'],
    notes: ['Give the public key only; a private key is refused. Add the new key before the backend uses it, remove the old one after.'],
    async run(ctx, { values }) {
      const key = await ctx.admin().addTicketKey({
        client_id: str(values, 'client')!,
        kid: str(values, 'kid')!,
        public_key: await readKey(ctx, values),
        alg: oneOf(str(values, 'alg'), ALGS, '--alg', ADD) ?? '',
      });
      ctx.out.show(key, () => ticketKeyRecord(key));
    },
  },
  {
    path: ['ticket-keys', 'list'],
    summary: "list a client's ticket keys, oldest first",
    options: { client: 'the client' },
    required: ['client'],
    async run(ctx, { values }) {
      const { keys } = await ctx.admin().listTicketKeys({ client_id: str(values, 'client')! });
      ctx.out.show(keys, () => ticketKeyTable(keys));
    },
  },
  {
    path: ['ticket-keys', 'remove'],
    summary: 'remove a ticket key: tickets it signed are refused from then on',
    options: { client: 'the client', kid: 'the key id' },
    required: ['client', 'kid'],
    async run(ctx, { values }) {
      const client = str(values, 'client')!;
      const kid = str(values, 'kid')!;
      const r = await ctx.admin().removeTicketKey({ client_id: client, kid });
      ctx.out.show(r, () => `ticket key ${kid} of client ${client} removed`);
    },
  },
];
