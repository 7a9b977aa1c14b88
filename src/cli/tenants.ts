// signet tenants create | list | disable
import type { Tenant } from '../gen/signet/auth/v1/admin.js';
import { str, type CommandSpec } from './args.js';
import { date, record, table } from './output.js';
import { listAll } from './paging.js';

export function tenantRecord(t: Tenant): string {
  return record([
    ['tenant_id', t.tenant_id],
    ['name', t.name],
    ['status', t.status],
    ['hide_unknown_users', t.policy?.hide_unknown_users ?? false],
    ['created_at', date(t.created_at)],
    ['updated_at', date(t.updated_at)],
  ]);
}

export function tenantTable(tenants: Tenant[]): string {
  if (tenants.length === 0) return 'no tenants';
  return table(
    ['ID', 'NAME', 'STATUS', 'HIDE_UNKNOWN_USERS', 'CREATED'],
    tenants.map((t) => [t.tenant_id, t.name, t.status, t.policy?.hide_unknown_users ?? false, date(t.created_at)]),
  );
}

export const tenantCommands: CommandSpec[] = [
  {
    path: ['tenants', 'create'],
    summary: 'create a tenant',
    options: {
      id: 'tenant id',
      name: 'display name',
      'hide-unknown-users': 'answer invalid_password instead of not_found for unknown users',
    },
    required: ['id'],
    async run(ctx, { values }) {
      const tenant = await ctx.admin().createTenant({
        tenant_id: str(values, 'id')!,
        name: str(values, 'name') ?? '',
        policy: values['hide-unknown-users'] ? { hide_unknown_users: true } : undefined,
      });
      ctx.out.show(tenant, () => tenantRecord(tenant));
    },
  },
  {
    path: ['tenants', 'list'],
    summary: 'list all tenants',
    async run(ctx) {
      const api = ctx.admin();
      const tenants = await listAll(
        (page_token) => api.listTenants({ page_size: 100, page_token }),
        (r) => r.tenants,
      );
      ctx.out.show(tenants, () => tenantTable(tenants));
    },
  },
  {
    path: ['tenants', 'disable'],
    args: ['ID'],
    summary: 'disable a tenant: its users can no longer sign in',
    async run(ctx, { args: [id] }) {
      const tenant = await ctx.admin().disableTenant({ tenant_id: id });
      ctx.out.show(tenant, () => tenantRecord(tenant));
    },
  },
];
