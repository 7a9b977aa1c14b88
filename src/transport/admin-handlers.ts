// AdminService: convert, call the domain (src/domain/accounts/admin.ts), convert back.
import type { Deps } from '../domain/deps.js';
import type { HandlersOf, ServiceHandlers, UnaryHandler } from './context.js';
import type { AdminServiceDefinition } from '../gen/signet/auth/v1/admin_service.js';
import type * as pb from '../gen/signet/auth/v1/admin.js';
import type { OpenLoginWay as OpenLoginWayPb } from '../gen/signet/auth/v1/transport.js';
import { loginWayOut } from './signin-options-handlers.js';
import * as admin from '../domain/accounts/admin.js';
import type { Client, OpenLoginWay, Page, SigningKey, Tenant, TenantPolicy, TransportKey, User } from '../domain/model.js';
import { SignetError } from '../domain/errors.js';
import type { AuditEvent } from '../domain/ports.js';
import { safeEqual } from '../domain/crypto/secrets.js';
import { adminSessionHandlers } from './session-handlers.js';
import { adminConsentHandlers } from './consent-handlers.js';
import { adminTicketHandlers } from './ticket-handlers.js';

const policyOut = (p: TenantPolicy): pb.TenantPolicy => ({
  hide_unknown_users: p.hideUnknownUsers,
  lockout_enabled: p.lockoutEnabled,
  max_failed_attempts: p.maxFailedAttempts,
  lock_seconds: p.lockSeconds,
  captcha_after_failures: p.captchaAfterFailures,
  always_captcha: p.alwaysCaptcha,
  second_factor: p.secondFactor,
  allow_multiple_login_web: p.allowMultipleLoginWeb,
  allow_multiple_login_app: p.allowMultipleLoginApp,
  open_login_ways: p.openLoginWays ? { ways: p.openLoginWays.map(loginWayOut) } : undefined,
  sign_up_enabled: p.signUpEnabled,
  sign_up_methods: p.signUpMethods ? { values: p.signUpMethods } : undefined,
  anonymous_sign_in: p.anonymousSignIn,
  password_min_length: p.passwordMinLength,
  password_max_length: p.passwordMaxLength,
  password_required_classes: p.passwordRequiredClasses ? { values: p.passwordRequiredClasses } : undefined,
  password_reject_identifiers: p.passwordRejectIdentifiers,
  password_reject_common: p.passwordRejectCommon,
  display_name: p.displayName,
  logo_url: p.logoUrl,
  primary_color: p.primaryColor,
});

const loginWayIn = (w: OpenLoginWayPb): OpenLoginWay => ({
  appCode: w.app_code,
  appName: w.app_name,
  appImage: w.app_image,
  channel: w.channel,
  authorizeUrl: w.authorize_url,
});

/** Only the fields the caller set: an update merges them into the stored policy. */
function policyIn(p: pb.TenantPolicy | undefined): TenantPolicy {
  if (!p) return {};
  const out: TenantPolicy = {
    hideUnknownUsers: p.hide_unknown_users,
    lockoutEnabled: p.lockout_enabled,
    maxFailedAttempts: p.max_failed_attempts,
    lockSeconds: p.lock_seconds,
    captchaAfterFailures: p.captcha_after_failures,
    alwaysCaptcha: p.always_captcha,
    secondFactor: p.second_factor as TenantPolicy['secondFactor'],
    allowMultipleLoginWeb: p.allow_multiple_login_web,
    allowMultipleLoginApp: p.allow_multiple_login_app,
    // A message field: absent leaves the ways alone, present (even empty) replaces them.
    openLoginWays: p.open_login_ways ? p.open_login_ways.ways.map(loginWayIn) : undefined,
    signUpEnabled: p.sign_up_enabled,
    // Lists are messages too: absent leaves them alone, present replaces them (checkPolicy checks the values).
    signUpMethods: p.sign_up_methods?.values as TenantPolicy['signUpMethods'],
    anonymousSignIn: p.anonymous_sign_in,
    passwordMinLength: p.password_min_length,
    passwordMaxLength: p.password_max_length,
    passwordRequiredClasses: p.password_required_classes?.values as TenantPolicy['passwordRequiredClasses'],
    passwordRejectIdentifiers: p.password_reject_identifiers,
    passwordRejectCommon: p.password_reject_common,
    displayName: p.display_name,
    logoUrl: p.logo_url,
    primaryColor: p.primary_color,
  };
  for (const k of Object.keys(out) as (keyof TenantPolicy)[]) if (out[k] === undefined) delete out[k];
  return out;
}

const auditOut = (e: AuditEvent): pb.AuditEvent => ({
  id: e.id,
  time: e.time,
  event: e.event,
  tenant_id: e.tenantId ?? '',
  user_id: e.userId ?? '',
  client_id: e.clientId ?? '',
  device_id: e.deviceId ?? '',
  ip: e.ip ?? '',
  reason: e.reason ?? '',
  detail: e.detail ?? '',
});

const tenantOut = (t: Tenant): pb.Tenant => ({
  tenant_id: t.id,
  name: t.name,
  status: t.status,
  policy: policyOut(t.policy),
  created_at: t.createdAt,
  updated_at: t.updatedAt,
});

const clientOut = (c: Client): pb.Client => ({
  client_id: c.id,
  tenant_id: c.tenantId,
  name: c.name,
  client_type: c.type,
  grant_types: c.grantTypes,
  scopes: c.scopes,
  access_token_ttl_seconds: c.accessTokenTtl,
  refresh_token_ttl_seconds: c.refreshTokenTtl,
  max_sessions: c.maxSessions,
  status: c.status,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
  password_encryption: c.passwordEncryption,
  reject_replayed_passwords: c.rejectReplayedPasswords,
  sign_up_enabled: c.signUpEnabled,
  redirect_uris: c.redirectUris,
  first_party: c.firstParty,
  custom_ticket_sign_up: c.customTicketSignUp,
});

const userOut = (u: User): pb.User => ({
  user_id: u.id,
  tenant_id: u.tenantId,
  user_type: u.userType,
  username: u.username ?? '',
  email: u.email ?? '',
  email_verified: u.emailVerified,
  phone_number: u.phoneNumber ?? '',
  phone_number_verified: u.phoneVerified,
  name: u.name ?? '',
  status: u.status,
  expires_at: u.expiresAt ?? undefined,
  groups: u.groups,
  created_at: u.createdAt,
  updated_at: u.updatedAt,
});

const keyOut = (k: SigningKey): pb.SigningKey => ({
  kid: k.kid,
  alg: k.alg,
  status: k.status,
  created_at: k.createdAt,
  retire_at: k.retireAt ?? undefined,
});

const transportKeyOut = (k: TransportKey): pb.TransportKey => ({
  thumbprint: k.thumbprint,
  bits: k.bits,
  status: k.status,
  created_at: k.createdAt,
  retire_at: k.retireAt ?? undefined,
});

const page = (r: { page_size: number; page_token: string }) => ({ pageSize: r.page_size, pageToken: r.page_token });
const listOut = <T, U>(p: Page<T>, f: (t: T) => U) => ({ items: p.items.map(f), next_page_token: p.nextPageToken });

export function adminHandlers(deps: Deps): HandlersOf<typeof AdminServiceDefinition> {
  return {
    CreateTenant: async (r: pb.CreateTenantRequest) => tenantOut(await admin.createTenant(deps, r.tenant_id, r.name, policyIn(r.policy))),
    GetTenant: async (r: pb.GetTenantRequest) => tenantOut(await admin.getTenant(deps, r.tenant_id)),
    ListTenants: async (r: pb.ListTenantsRequest): Promise<pb.ListTenantsResponse> => {
      const l = listOut(await admin.listTenants(deps, page(r)), tenantOut);
      return { tenants: l.items, next_page_token: l.next_page_token };
    },
    UpdateTenant: async (r: pb.UpdateTenantRequest) =>
      tenantOut(
        await admin.updateTenant(deps, r.tenant_id, {
          name: r.name,
          status: r.status as Tenant['status'] | undefined,
          policy: r.policy ? policyIn(r.policy) : undefined,
        }),
      ),
    DisableTenant: async (r: pb.DisableTenantRequest) => tenantOut(await admin.updateTenant(deps, r.tenant_id, { status: 'disabled' })),

    CreateClient: async (r: pb.CreateClientRequest): Promise<pb.CreateClientResponse> => {
      const { client, secret } = await admin.createClient(deps, {
        id: r.client_id,
        tenantId: r.tenant_id,
        name: r.name,
        public: r.public,
        grantTypes: r.grant_types,
        scopes: r.scopes,
        accessTokenTtl: r.access_token_ttl_seconds,
        refreshTokenTtl: r.refresh_token_ttl_seconds,
        maxSessions: r.max_sessions,
        passwordEncryption: r.password_encryption,
        rejectReplayedPasswords: r.reject_replayed_passwords,
        signUpEnabled: r.sign_up_enabled,
        redirectUris: r.redirect_uris,
        firstParty: r.first_party,
        customTicketSignUp: r.custom_ticket_sign_up,
      });
      return { client: clientOut(client), client_secret: secret };
    },
    GetClient: async (r: pb.GetClientRequest) => clientOut(await admin.getClient(deps, r.client_id)),
    ListClients: async (r: pb.ListClientsRequest): Promise<pb.ListClientsResponse> => {
      const l = listOut(await admin.listClients(deps, page(r), r.tenant_id || undefined), clientOut);
      return { clients: l.items, next_page_token: l.next_page_token };
    },
    UpdateClient: async (r: pb.UpdateClientRequest) =>
      clientOut(
        await admin.updateClient(deps, r.client_id, {
          name: r.name,
          status: r.status as Client['status'] | undefined,
          grantTypes: r.grant_types?.values,
          scopes: r.scopes?.values,
          accessTokenTtl: r.access_token_ttl_seconds,
          refreshTokenTtl: r.refresh_token_ttl_seconds,
          maxSessions: r.max_sessions,
          passwordEncryption: r.password_encryption as Client['passwordEncryption'] | undefined,
          rejectReplayedPasswords: r.reject_replayed_passwords,
          signUpEnabled: r.sign_up_enabled,
          redirectUris: r.redirect_uris?.values,
          firstParty: r.first_party,
          customTicketSignUp: r.custom_ticket_sign_up,
        }),
      ),
    DisableClient: async (r: pb.DisableClientRequest) => clientOut(await admin.updateClient(deps, r.client_id, { status: 'disabled' })),

    CreateUser: async (r: pb.CreateUserRequest) =>
      userOut(
        await admin.createUser(deps, {
          tenantId: r.tenant_id,
          userType: r.user_type,
          username: r.username,
          email: r.email,
          phoneNumber: r.phone_number,
          name: r.name,
          password: r.password,
          passwordHash: r.password_hash,
          status: r.status,
          groups: r.groups,
          expiresAt: r.expires_at ?? null,
          emailVerified: r.email_verified,
          phoneVerified: r.phone_number_verified,
          bypassPasswordPolicy: r.bypass_password_policy,
        }),
      ),
    GetUser: async (r: pb.GetUserRequest) => userOut(await admin.getUser(deps, r.user_id)),
    ListUsers: async (r: pb.ListUsersRequest): Promise<pb.ListUsersResponse> => {
      const l = listOut(await admin.listUsers(deps, page(r), r.tenant_id || undefined), userOut);
      return { users: l.items, next_page_token: l.next_page_token };
    },
    UpdateUser: async (r: pb.UpdateUserRequest) =>
      userOut(
        await admin.updateUser(deps, r.user_id, {
          status: r.status as User['status'] | undefined,
          password: r.password,
          groups: r.groups?.values,
          name: r.name,
          email: r.email,
          phoneNumber: r.phone_number,
          expiresAt: r.expires_at,
          bypassPasswordPolicy: r.bypass_password_policy,
        }),
      ),
    DisableUser: async (r: pb.DisableUserRequest) => userOut(await admin.updateUser(deps, r.user_id, { status: 'blocked' })),

    UnlockUser: async (r: pb.UnlockUserRequest) => userOut(await admin.unlockUser(deps, r.user_id)),
    ListAuditEvents: async (r: pb.ListAuditEventsRequest): Promise<pb.ListAuditEventsResponse> => {
      const filter = { userId: r.user_id || undefined, tenantId: r.tenant_id || undefined, event: r.event || undefined, since: r.since };
      const l = listOut(await admin.listAuditEvents(deps, filter, page(r)), auditOut);
      return { events: l.items, next_page_token: l.next_page_token };
    },

    ListSigningKeys: async (): Promise<pb.ListSigningKeysResponse> => ({ keys: (await deps.keys.list()).map(keyOut) }),
    RotateSigningKey: async () => keyOut(await deps.keys.rotate()),
    ListTransportKeys: async (): Promise<pb.ListTransportKeysResponse> => ({
      keys: (await deps.transportKeys.list()).map(transportKeyOut),
    }),
    RotateTransportKey: async () => transportKeyOut(await deps.transportKeys.rotate()),
    ...adminSessionHandlers(deps),
    ...adminConsentHandlers(deps),
    ...adminTicketHandlers(deps),
  };
}

/** Every admin call must carry the admin token as a bearer token. */
export function requireAdminToken(handlers: ServiceHandlers, token: string): ServiceHandlers {
  const expected = `Bearer ${token}`;
  const guarded: ServiceHandlers = {};
  for (const [name, h] of Object.entries(handlers)) {
    guarded[name] = (async (req, ctx) => {
      if (!safeEqual(ctx.metadata.authorization ?? '', expected)) throw new SignetError('unauthenticated', 'admin_token_wrong');
      return h(req, ctx);
    }) as UnaryHandler;
  }
  return guarded;
}
