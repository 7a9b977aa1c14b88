// signet consents list | revoke
import type { ConsentInfo } from '../gen/signet/auth/v1/account.js';
import { str, UsageError, type CommandSpec } from './args.js';
import { date, table } from './output.js';

export function consentTable(consents: ConsentInfo[]): string {
  if (consents.length === 0) return 'no consents';
  return table(
    ['CLIENT', 'NAME', 'SCOPES', 'GRANTED', 'UPDATED'],
    consents.map((c) => [c.client_id, c.client_name, c.scopes.join(' '), date(c.granted_at), date(c.updated_at)]),
  );
}

const REVOKE = 'consents revoke';

export const consentCommands: CommandSpec[] = [
  {
    path: ['consents', 'list'],
    summary: 'list the clients a user consented to, with the scopes granted',
    options: { user: 'the user' },
    required: ['user'],
    async run(ctx, { values }) {
      const { consents } = await ctx.admin().listUserConsents({ user_id: str(values, 'user')! });
      ctx.out.show(consents, () => consentTable(consents));
    },
  },
  {
    path: ['consents', 'revoke'],
    args: ['CLIENT_ID'],
    summary: "withdraw a user's consent to a client",
    options: { user: 'the user' },
    required: ['user'],
    notes: ["The user's sessions on the client end too: its access tokens are refused at once."],
    async run(ctx, { args: [clientId], values }) {
      const user = str(values, 'user')!;
      if (user.trim() === '') throw new UsageError('--user is empty', REVOKE);
      const r = await ctx.admin().revokeUserConsent({ user_id: user, client_id: clientId });
      ctx.out.show(r, () =>
        r.revoked
          ? `consent of user ${user} to client ${clientId} withdrawn; their sessions on it ended`
          : `user ${user} had no consent to client ${clientId} (any sessions of theirs on it ended)`,
      );
    },
  },
];
