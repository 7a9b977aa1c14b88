// Remembered consents over REST and gRPC (generated clients) on PostgreSQL + Redis: the user's
// list and withdrawal (AccountService), the operator's (AdminService). Withdrawing ends the
// user's sessions on the client at once; nobody withdraws another user's consent.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentNeeded, rememberConsent } from '../../src/domain/accounts/consents.js';
import { AccountServiceClient, AccountServiceDefinition } from '../../src/gen/signet/auth/v1/account_service.js';
import {
  adminPost,
  call,
  dropSchema,
  get,
  grpcFailure,
  post,
  seed,
  startTestSignet,
  userCall,
  type TestSignet,
} from '../helpers/signet.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };

describe('remembered consents (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let account: AccountServiceClient;
  let users = 0;

  const acct = <Res = any>(method: keyof typeof AccountServiceDefinition.methods, partial: object, token?: string): Promise<Res> => {
    const def = AccountServiceDefinition.methods[method];
    const md = new grpc.Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) => {
      (account as any)[method]((def.requestType as any).fromPartial(partial), md, (err: grpc.ServiceError | null, res: Res) =>
        err ? reject(err) : resolve(res),
      );
    });
  };
  const adminCall = <Res = any>(method: string, req: object, md: Record<string, string> = ADMIN) =>
    call<object, Res>(s.adminGrpc, method, req, md);

  /** A user signed in on the first-party web client and on the third-party partner client. */
  const newUser = async () => {
    const username = `c${++users}`;
    const password = 'pw-of-a-user-1';
    const u = await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username, password });
    expect(u.status, JSON.stringify(u.body)).toBe(200);
    const signIn = async (client: string) => {
      const r = await post(s.http, `/auth/v1/signin?client_id=${client}`, { username, password });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as { access_token: string; refresh_token: string };
    };
    return { id: u.body.user_id as string, web: await signIn('web'), partner: await signIn('partner') };
  };
  const consentTo = (userId: string, scope: string[]) =>
    rememberConsent(s.running.deps, { tenantId: 'acme', clientId: 'partner', userId, scope });
  const works = async (accessToken: string) =>
    (await get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${accessToken}` })).status === 200;
  const refreshes = async (refreshToken: string) =>
    (await post(s.http, '/auth/v1/token', { client_id: 'partner', grant_type: 'refresh_token', refresh_token: refreshToken })).status ===
    200;
  const partnerClient = async () => (await s.running.deps.directory.client('partner'))!;

  beforeAll(async () => {
    s = await startTestSignet({ backend: 'postgres', env: { SIGNET_IP_FAILURES_CAPTCHA: '0', SIGNET_IP_FAILURES_BLOCK: '0' } });
    await seed(s, { maxSessions: 20 });
    const partner = await adminPost(s, '/admin/v1/clients', {
      client_id: 'partner',
      tenant_id: 'acme',
      name: 'Partner App',
      public: true,
      grant_types: ['password', 'refresh_token', 'authorization_code'],
      scopes: ['openid', 'user', 'email'],
      redirect_uris: ['https://partner.example/cb'],
      first_party: false,
      max_sessions: 20,
    });
    expect(partner.status, JSON.stringify(partner.body)).toBe(200);
    account = new AccountServiceClient(`127.0.0.1:${s.running.ports.grpc}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    account?.close();
    await s?.stop();
    await dropSchema(s?.schema);
  });

  describe("the user's own consents", () => {
    it('lists them with the client name and scopes (REST and gRPC), and only with a user bearer', async () => {
      const u = await newUser();
      expect((await get(s.http, '/auth/v1/user/consents', { authorization: `Bearer ${u.web.access_token}` })).body).toEqual({
        consents: [],
      });
      await consentTo(u.id, ['openid']);
      await consentTo(u.id, ['email', 'openid']);
      const r = await get(s.http, '/auth/v1/user/consents', { authorization: `Bearer ${u.web.access_token}` });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.consents).toEqual([
        {
          client_id: 'partner',
          client_name: 'Partner App',
          scopes: ['openid', 'email'],
          granted_at: expect.any(String),
          updated_at: expect.any(String),
          user_id: u.id,
        },
      ]);
      const g = await acct('listConsents', {}, u.partner.access_token);
      expect(g.consents.map((c: any) => [c.client_id, c.scopes])).toEqual([['partner', ['openid', 'email']]]);
      expect(g.consents[0].granted_at).toBeInstanceOf(Date);
      expect((await get(s.http, '/auth/v1/user/consents')).status).toBe(401);
      expect((await grpcFailure(acct('listConsents', {}))).code).toBe(grpc.status.UNAUTHENTICATED);
    });

    it("withdrawing (REST) ends the user's sessions on the client at once, and only those", async () => {
      const u = await newUser();
      await consentTo(u.id, ['openid', 'email']);
      const client = await partnerClient();
      expect(await consentNeeded(s.running.deps, { client, userId: u.id, scope: ['openid'], force: false })).toBe(false);

      const r = await userCall(s, 'DELETE', '/auth/v1/user/consents/partner', undefined, u.web.access_token);
      expect(r).toEqual({ status: 200, body: { revoked: true } });
      expect(await works(u.partner.access_token)).toBe(false);
      expect(await refreshes(u.partner.refresh_token)).toBe(false);
      expect(await works(u.web.access_token)).toBe(true);
      expect((await get(s.http, '/auth/v1/user/consents', { authorization: `Bearer ${u.web.access_token}` })).body).toEqual({
        consents: [],
      });
      expect(await consentNeeded(s.running.deps, { client, userId: u.id, scope: ['openid'], force: false })).toBe(true);
      // Again: nothing to withdraw.
      expect(await userCall(s, 'DELETE', '/auth/v1/user/consents/partner', undefined, u.web.access_token)).toEqual({
        status: 200,
        body: { revoked: false },
      });
      expect((await userCall(s, 'DELETE', '/auth/v1/user/consents/partner', undefined)).status).toBe(401);
    });

    it("withdraws over gRPC too, with the client's own token; a client id is required", async () => {
      const u = await newUser();
      await consentTo(u.id, ['openid']);
      expect((await grpcFailure(acct('revokeConsent', { client_id: '' }, u.web.access_token))).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(await acct('revokeConsent', { client_id: 'partner' }, u.partner.access_token)).toEqual({ revoked: true });
      expect(await works(u.partner.access_token)).toBe(false);
      expect(await works(u.web.access_token)).toBe(true);
      expect((await grpcFailure(acct('revokeConsent', { client_id: 'partner' }))).code).toBe(grpc.status.UNAUTHENTICATED);
    });

    it("cannot withdraw another user's consent", async () => {
      const alice = await newUser();
      const bob = await newUser();
      await consentTo(alice.id, ['openid']);
      await consentTo(bob.id, ['openid']);
      // The request names no user (a user_id in the query is no field of it, and ignored as
      // grpc-gateway ignores unknown query parameters): the caller's own consent is withdrawn.
      const aimed = await userCall(s, 'DELETE', `/auth/v1/user/consents/partner?user_id=${bob.id}`, undefined, alice.web.access_token);
      expect(aimed).toEqual({ status: 200, body: { revoked: true } });
      expect(await works(alice.partner.access_token)).toBe(false);
      expect(await works(bob.partner.access_token)).toBe(true);
      expect(await refreshes(bob.partner.refresh_token)).toBe(true);
      // Over gRPC likewise: only the caller's (now none).
      expect(await acct('revokeConsent', { client_id: 'partner' }, alice.web.access_token)).toEqual({ revoked: false });
      expect(await works(bob.partner.access_token)).toBe(true);
      const bobs = await acct('listConsents', {}, bob.web.access_token);
      expect(bobs.consents.map((c: any) => c.client_id)).toEqual(['partner']);
    });
  });

  describe('the operator', () => {
    it("lists a user's consents and withdraws one (gRPC and REST), ending the user's sessions on the client; audited", async () => {
      const u = await newUser();
      await consentTo(u.id, ['openid', 'email']);
      const listed = await adminCall('listUserConsents', { user_id: u.id });
      expect(listed.consents.map((c: any) => [c.client_id, c.client_name, c.scopes, c.user_id])).toEqual([
        ['partner', 'Partner App', ['openid', 'email'], u.id],
      ]);
      const rest = await fetch(`${s.admin}/admin/v1/users/${u.id}/consents`, { headers: ADMIN });
      expect((await rest.json()).consents).toHaveLength(1);

      expect(await adminPost(s, `/admin/v1/users/${u.id}/consents/partner:revoke`, {})).toEqual({ status: 200, body: { revoked: true } });
      expect(await works(u.partner.access_token)).toBe(false);
      expect(await works(u.web.access_token)).toBe(true);
      expect((await adminCall('listUserConsents', { user_id: u.id })).consents).toEqual([]);
      expect(await adminCall('revokeUserConsent', { user_id: u.id, client_id: 'partner' })).toEqual({ revoked: false });

      await s.running.deps.audit.flush();
      const audit = await fetch(`${s.admin}/admin/v1/audit-events?user_id=${u.id}`, { headers: ADMIN });
      const events = (await audit.json()).events.filter((e: any) => e.event.startsWith('consent_'));
      expect(events.map((e: any) => [e.event, e.client_id, e.reason])).toEqual([
        ['consent_revoked', 'partner', 'admin'],
        ['consent_granted', 'partner', 'openid email'],
      ]);
    });

    it('refuses an unknown user, a missing client id, and a call without the admin token', async () => {
      const u = await newUser();
      expect((await grpcFailure(adminCall('listUserConsents', { user_id: 'nobody' }))).code).toBe(grpc.status.NOT_FOUND);
      expect((await grpcFailure(adminCall('revokeUserConsent', { user_id: 'nobody', client_id: 'partner' }))).code).toBe(
        grpc.status.NOT_FOUND,
      );
      expect((await grpcFailure(adminCall('revokeUserConsent', { user_id: u.id, client_id: '' }))).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect((await grpcFailure(adminCall('listUserConsents', { user_id: u.id }, {}))).code).toBe(grpc.status.UNAUTHENTICATED);
      expect((await grpcFailure(adminCall('revokeUserConsent', { user_id: u.id, client_id: 'partner' }, {}))).code).toBe(
        grpc.status.UNAUTHENTICATED,
      );
      expect(await works(u.partner.access_token)).toBe(true);
    });
  });
});
