// signet tenants create | update | list | disable
import type { Tenant, TenantPolicy } from '../gen/signet/auth/v1/admin.js';
import { list, oneOf, positiveInt, str, type CommandSpec, type OptionValues } from './args.js';
import { date, record, table } from './output.js';
import { listAll } from './paging.js';

export function tenantRecord(t: Tenant): string {
  return record([
    ['tenant_id', t.tenant_id],
    ['name', t.name],
    ['status', t.status],
    ['hide_unknown_users', t.policy?.hide_unknown_users ?? false],
    // Labels no longer than the others, so that the record keeps its alignment.
    ['sign_up', t.policy?.sign_up_enabled ?? false],
    ['sign_up_methods', (t.policy?.sign_up_methods?.values ?? ['username', 'email', 'phone']).join(',')],
    ['anonymous_sign_in', t.policy?.anonymous_sign_in ?? false],
    ['password_length', `${t.policy?.password_min_length ?? 8}-${t.policy?.password_max_length ?? 128}`],
    ['password_classes', (t.policy?.password_required_classes?.values ?? []).join(',')],
    ['reject_identifiers', t.policy?.password_reject_identifiers ?? true],
    ['reject_common', t.policy?.password_reject_common ?? true],
    ['display_name', t.policy?.display_name ?? ''],
    ['logo_url', logoShown(t.policy?.logo_url ?? '')],
    ['primary_color', t.policy?.primary_color || '#1f6feb'],
    ['created_at', date(t.created_at)],
    ['updated_at', date(t.updated_at)],
  ]);
}

/** A data URI logo runs to 32 KiB: its type and size say enough on a terminal (--json has it all). */
function logoShown(url: string): string {
  return url.startsWith('data:') ? `${url.slice(0, url.indexOf(','))} (${url.length} characters)` : url;
}

export function tenantTable(tenants: Tenant[]): string {
  if (tenants.length === 0) return 'no tenants';
  return table(
    ['ID', 'NAME', 'STATUS', 'HIDE_UNKNOWN_USERS', 'CREATED'],
    tenants.map((t) => [t.tenant_id, t.name, t.status, t.policy?.hide_unknown_users ?? false, date(t.created_at)]),
  );
}

/** The sign-up, password policy and login page options of `tenants create` and `tenants update`. */
const POLICY_OPTIONS: Record<string, string> = {
  'sign-up': 'on: people may create their own accounts (default off)',
  'sign-up-methods': 'what sign-up accepts: username,email,phone (default all three)',
  'anonymous-sign-in': 'on: anonymous users may be created (default off)',
  'password-min-length': 'shortest password, in characters (default 8)',
  'password-max-length': 'longest password, in characters (default 128, at most 1024)',
  'password-classes': 'classes every password must contain: lower,upper,digit,symbol (default none)',
  'password-reject-identifiers': 'off: allow a password containing the username or e-mail (default on)',
  'password-reject-common': 'off: allow common passwords (default on)',
  'display-name': "login page title, at most 64 characters (default the tenant's name)",
  'logo-url': 'login page logo: an https URL or a data:image/png|jpeg|svg+xml|webp;base64 URI (default none)',
  'primary-color': 'login page accent colour, #rrggbb (default #1f6feb)',
};

const ON_OFF = ['on', 'off'] as const;

export function onOff(values: OptionValues, name: Parameters<typeof str>[1], command: string): boolean | undefined {
  const v = oneOf(str(values, name), ON_OFF, `--${name}`, command);
  return v === undefined ? undefined : v === 'on';
}

/** The policy fields given on the command line; undefined when none is. */
function policyOf(values: OptionValues, command: string): TenantPolicy | undefined {
  const p: TenantPolicy = {
    hide_unknown_users: values['hide-unknown-users'] ? true : undefined,
    sign_up_enabled: onOff(values, 'sign-up', command),
    sign_up_methods: str(values, 'sign-up-methods') !== undefined ? { values: list(values, 'sign-up-methods') } : undefined,
    anonymous_sign_in: onOff(values, 'anonymous-sign-in', command),
    password_min_length: positiveInt(values, 'password-min-length', command),
    password_max_length: positiveInt(values, 'password-max-length', command),
    password_required_classes: str(values, 'password-classes') !== undefined ? { values: list(values, 'password-classes') } : undefined,
    password_reject_identifiers: onOff(values, 'password-reject-identifiers', command),
    password_reject_common: onOff(values, 'password-reject-common', command),
    display_name: str(values, 'display-name'),
    logo_url: str(values, 'logo-url'),
    primary_color: str(values, 'primary-color'),
  };
  const set = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as TenantPolicy;
  return Object.keys(set).length > 0 ? set : undefined;
}

export const tenantCommands: CommandSpec[] = [
  {
    path: ['tenants', 'create'],
    summary: 'create a tenant',
    options: {
      id: 'tenant id',
      name: "the tenant's name (the login page title unless --display-name)",
      'hide-unknown-users': 'answer invalid_password instead of not_found for unknown users',
      ...POLICY_OPTIONS,
    },
    required: ['id'],
    async run(ctx, { values }) {
      const tenant = await ctx.admin().createTenant({
        tenant_id: str(values, 'id')!,
        name: str(values, 'name') ?? '',
        policy: policyOf(values, 'tenants create'),
      });
      ctx.out.show(tenant, () => tenantRecord(tenant));
    },
  },
  {
    path: ['tenants', 'update'],
    args: ['ID'],
    summary: "change a tenant's name or policy (only the options given change)",
    options: {
      name: "the tenant's name (the login page title unless --display-name)",
      'hide-unknown-users': 'answer invalid_password instead of not_found for unknown users',
      ...POLICY_OPTIONS,
    },
    notes: [
      'A list option (--sign-up-methods, --password-classes) replaces the list; give it empty ("") to clear it.',
      'Give --display-name, --logo-url or --primary-color empty ("") to go back to the default.',
    ],
    async run(ctx, { args: [id], values }) {
      const tenant = await ctx.admin().updateTenant({
        tenant_id: id,
        name: str(values, 'name'),
        policy: policyOf(values, 'tenants update'),
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
