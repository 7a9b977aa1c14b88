// signet users create | list | set-status | set-password | unlock
import type { User } from '../gen/signet/auth/v1/admin.js';
import { list, oneOf, readPassword, str, UsageError, type CommandSpec } from './args.js';
import { date, joined, record, table } from './output.js';
import { listAll } from './paging.js';

const USER_TYPES = ['P', 'C'] as const;
const STATUSES = ['active', 'pending', 'blocked'] as const;

export function userRecord(u: User): string {
  return record([
    ['user_id', u.user_id],
    ['tenant_id', u.tenant_id],
    ['user_type', u.user_type],
    ['username', u.username],
    ['email', u.email + (u.email && u.email_verified ? ' (verified)' : '')],
    ['phone_number', u.phone_number + (u.phone_number && u.phone_number_verified ? ' (verified)' : '')],
    ['name', u.name],
    ['status', u.status],
    ['groups', joined(u.groups)],
    ['expires_at', date(u.expires_at)],
    ['created_at', date(u.created_at)],
    ['updated_at', date(u.updated_at)],
  ]);
}

export function userTable(users: User[]): string {
  if (users.length === 0) return 'no users';
  return table(
    ['ID', 'TENANT', 'TYPE', 'USERNAME', 'EMAIL', 'PHONE', 'STATUS', 'GROUPS'],
    users.map((u) => [u.user_id, u.tenant_id, u.user_type, u.username, u.email, u.phone_number, u.status, joined(u.groups)]),
  );
}

const PASSWORD_NOTE = 'Prefer --password-stdin: a --password value is visible to other local users in the process list.';

export const userCommands: CommandSpec[] = [
  {
    path: ['users', 'create'],
    summary: 'create a user',
    options: {
      username: 'login name',
      email: 'email address',
      phone: 'phone number, E.164 (+8613800000000)',
      password: 'initial password',
      'password-stdin': 'read the password from standard input',
      tenant: 'tenant (default: the server default)',
      type: 'user type, P or C (default: the server default)',
      status: 'active, pending or blocked (default: the server default)',
      groups: 'groups, comma-separated',
      name: 'display name',
      'bypass-policy': "set the password even when it breaks the tenant's password policy (audited)",
    },
    required: ['username'],
    notes: [PASSWORD_NOTE],
    async run(ctx, { values }) {
      const command = 'users create';
      const user_type = oneOf(str(values, 'type'), USER_TYPES, '--type', command) ?? '';
      const status = oneOf(str(values, 'status'), STATUSES, '--status', command) ?? '';
      const password = (await readPassword(ctx, values, command, false)) ?? '';
      const user = await ctx.admin().createUser({
        tenant_id: str(values, 'tenant') ?? '',
        user_type,
        username: str(values, 'username')!,
        email: str(values, 'email') ?? '',
        phone_number: str(values, 'phone') ?? '',
        name: str(values, 'name') ?? '',
        password,
        password_hash: '',
        status,
        groups: list(values, 'groups'),
        email_verified: false,
        phone_number_verified: false,
        bypass_password_policy: values['bypass-policy'] === true,
      });
      ctx.out.show(user, () => userRecord(user));
    },
  },
  {
    path: ['users', 'list'],
    summary: 'list users',
    options: { tenant: 'only the users of this tenant' },
    async run(ctx, { values }) {
      const api = ctx.admin();
      const tenant_id = str(values, 'tenant') ?? '';
      const users = await listAll(
        (page_token) => api.listUsers({ page_size: 100, page_token, tenant_id }),
        (r) => r.users,
      );
      ctx.out.show(users, () => userTable(users));
    },
  },
  {
    path: ['users', 'set-status'],
    args: ['ID', 'STATUS'],
    summary: "set a user's status: active, pending or blocked",
    notes: ['Use `blocked` to stop a user signing in.'],
    async run(ctx, { args: [id, status] }) {
      const valid = oneOf(status, STATUSES, 'STATUS', 'users set-status');
      const user = await ctx.admin().updateUser({ user_id: id, status: valid, bypass_password_policy: false });
      ctx.out.show(user, () => userRecord(user));
    },
  },
  {
    path: ['users', 'set-password'],
    args: ['ID'],
    summary: "set a user's password",
    options: {
      password: 'the new password',
      'password-stdin': 'read the new password from standard input',
      'bypass-policy': "set the password even when it breaks the tenant's password policy (audited)",
    },
    notes: [PASSWORD_NOTE],
    async run(ctx, { args: [id], values }) {
      const password = await readPassword(ctx, values, 'users set-password', true);
      if (password === undefined) throw new UsageError('a password is required', 'users set-password');
      const user = await ctx.admin().updateUser({ user_id: id, password, bypass_password_policy: values['bypass-policy'] === true });
      ctx.out.show(user, () => `password set for user ${user.user_id || id}`);
    },
  },
  {
    path: ['users', 'unlock'],
    args: ['ID'],
    summary: 'end a lock from failed passwords and clear the failure count',
    notes: ['A blocked user stays blocked: unlock ends only the temporary lock; see `users set-status`.'],
    async run(ctx, { args: [id] }) {
      const user = await ctx.admin().unlockUser({ user_id: id });
      ctx.out.show(user, () => userRecord(user));
    },
  },
];
