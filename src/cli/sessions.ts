// signet sessions list | revoke
import type { SessionInfo } from '../gen/signet/auth/v1/account.js';
import { str, UsageError, type CommandSpec } from './args.js';
import { date, table } from './output.js';

export function sessionTable(sessions: SessionInfo[]): string {
  if (sessions.length === 0) return 'no live sessions';
  return table(
    ['ID', 'CLIENT', 'DEVICE', 'CHANNEL', 'CREATED', 'EXPIRES'],
    sessions.map((s) => [s.session_id, s.client_id, s.device_id, s.channel, date(s.created_at), date(s.expires_at)]),
  );
}

const REVOKE = 'sessions revoke';

export const sessionCommands: CommandSpec[] = [
  {
    path: ['sessions', 'list'],
    summary: "list a user's live sessions",
    options: { user: 'the user' },
    required: ['user'],
    async run(ctx, { values }) {
      const { sessions } = await ctx.admin().listSessions({ user_id: str(values, 'user')! });
      ctx.out.show(sessions, () => sessionTable(sessions));
    },
  },
  {
    path: ['sessions', 'revoke'],
    args: ['[SESSION_ID]'],
    summary: 'end one session, or every session of a user (--user)',
    options: { user: 'end every session of this user' },
    notes: ['The access tokens of an ended session are refused at once, not when they expire.'],
    async run(ctx, { args: [id], values }) {
      const user = str(values, 'user');
      if ((id === undefined) === (user === undefined)) throw new UsageError('give either SESSION_ID or --user U', REVOKE);
      if (user !== undefined) {
        if (user.trim() === '') throw new UsageError('--user is empty', REVOKE);
        const r = await ctx.admin().revokeUserSessions({ user_id: user });
        ctx.out.show(r, () => `${r.revoked} session${r.revoked === 1 ? '' : 's'} of user ${user} ended`);
        return;
      }
      const r = await ctx.admin().revokeSession({ session_id: id });
      ctx.out.show(r, () => (r.revoked ? `session ${id} ended` : `session ${id} was not live (already ended, expired or unknown)`));
    },
  },
];
