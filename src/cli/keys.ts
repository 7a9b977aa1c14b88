// signet keys rotate | list
import type { SigningKey } from '../gen/signet/auth/v1/admin.js';
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
];
