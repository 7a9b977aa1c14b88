// signet keys rotate | list | rotate-transport | list-transport
import type { SigningKey, TransportKey } from '../gen/signet/auth/v1/admin.js';
import type { CommandSpec } from './args.js';
import { date, record, table } from './output.js';

export function keyRecord(k: SigningKey): string {
  return record([
    ['kid', k.kid],
    ['alg', k.alg],
    ['status', k.status],
    ['created_at', date(k.created_at)],
    ['retire_at', date(k.retire_at)],
  ]);
}

export function keyTable(keys: SigningKey[]): string {
  if (keys.length === 0) return 'no signing keys';
  return table(
    ['KID', 'ALG', 'STATUS', 'CREATED', 'RETIRE_AT'],
    keys.map((k) => [k.kid, k.alg, k.status, date(k.created_at), date(k.retire_at)]),
  );
}

export function transportKeyRecord(k: TransportKey): string {
  return record([
    ['thumbprint', k.thumbprint],
    ['bits', k.bits],
    ['status', k.status],
    ['created_at', date(k.created_at)],
    ['retire_at', date(k.retire_at)],
  ]);
}

export function transportKeyTable(keys: TransportKey[]): string {
  if (keys.length === 0) return 'no transport keys';
  return table(
    ['THUMBPRINT', 'BITS', 'STATUS', 'CREATED', 'RETIRE_AT'],
    keys.map((k) => [k.thumbprint, k.bits, k.status, date(k.created_at), date(k.retire_at)]),
  );
}

export const keyCommands: CommandSpec[] = [
  {
    path: ['keys', 'rotate'],
    summary: 'make a new active signing key; older keys stay published until their tokens expire',
    async run(ctx) {
      const key = await ctx.admin().rotateSigningKey({});
      ctx.out.show(key, () => keyRecord(key));
    },
  },
  {
    path: ['keys', 'list'],
    summary: 'list the published signing keys',
    async run(ctx) {
      const { keys } = await ctx.admin().listSigningKeys({});
      ctx.out.show(keys, () => keyTable(keys));
    },
  },
  {
    path: ['keys', 'rotate-transport'],
    summary: 'make a new RSA transport key (GetPublicKey); the previous one still decrypts for the grace period',
    async run(ctx) {
      const key = await ctx.admin().rotateTransportKey({});
      ctx.out.show(key, () => transportKeyRecord(key));
    },
  },
  {
    path: ['keys', 'list-transport'],
    summary: 'list the RSA transport keys that decrypt passwords now',
    async run(ctx) {
      const { keys } = await ctx.admin().listTransportKeys({});
      ctx.out.show(keys, () => transportKeyTable(keys));
    },
  },
];
