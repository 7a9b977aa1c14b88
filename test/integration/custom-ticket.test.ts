// Custom sign-in tickets on a real Signet (PostgreSQL + Redis): the keys registered through the
// admin REST API and through the `signet` CLI over the admin gRPC API, and the sign-in itself
// over REST (POST /auth/v1/signin/custom, as the CloudBase SDK calls it) and over gRPC.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import type { TokenResponse } from '../../src/gen/signet/auth/v1/token.js';
import { FakeClock } from '../helpers/clock.js';
import { adminPost, call, dropSchema, get, grpcFailure, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { ticketBackend, type TicketBackend } from '../helpers/tickets.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';

describe('custom sign-in tickets (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let backend: TicketBackend;
  const clock = FakeClock.midMinute();
  const dir = mkdtempSync(path.join(tmpdir(), 'signet-ticket-'));

  const ticket = (sub: string, claims?: Record<string, unknown>) => backend.ticket(sub, clock.now(), claims);
  const signIn = async (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    post(s.http, '/auth/v1/signin/custom?client_id=web', body, headers);

  /** The CLI against this server's admin gRPC listener; its exit code and output. */
  const cli = async (...argv: string[]) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runCli([...argv, '--admin-url', `127.0.0.1:${s.running.ports.admin}`], {
      stdout: (t) => stdout.push(t),
      stderr: (t) => stderr.push(t),
      readStdin: async () => '',
      env: { SIGNET_ADMIN_TOKEN: ADMIN_TOKEN, LANG: 'C' },
    });
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  };

  beforeAll(async () => {
    s = await startTestSignet({ backend: 'postgres', clock });
    await seed(s);
    backend = await ticketBackend({ clientId: 'web', issuer: s.config.issuer });
    const added = await adminPost(s, '/admin/v1/clients/web/ticket-keys', { kid: backend.kid, public_key: backend.publicPem });
    expect(added).toMatchObject({ status: 200, body: { client_id: 'web', kid: 'k1', alg: 'ES256' } });
    const on = await adminPost(s, '/admin/v1/clients/web', { custom_ticket_sign_up: true }, 'PATCH');
    expect(on).toMatchObject({ status: 200, body: { custom_ticket_sign_up: true } });
  });
  // Each test in a fresh one-minute window: the rate limits never get in the way.
  beforeEach(() => clock.advance(60_000));
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('REST', () => {
    it('signs in (creating the user) and answers the token body the SDK stores', async () => {
      const r = await signIn({ provider_id: 'custom', ticket: await ticket('ext-1') });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        token_type: 'Bearer',
        sub: expect.any(String),
        expires_in: expect.any(Number),
        need_weda_resource: false,
      });
      expect(r.body.expires_in).toBeGreaterThan(0);
      expect(r.body.refresh_token).toEqual(expect.any(String));
      const me = await get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${r.body.access_token}` });
      expect(me.body).toMatchObject({ sub: r.body.sub, username: '', is_anonymous: false });
      // The same external id is the same user.
      expect((await signIn({ provider_id: 'custom', ticket: await ticket('ext-1') })).body.sub).toBe(r.body.sub);
    });

    it('refuses a bad, expired or replayed ticket with invalid_grant in the caller’s language', async () => {
      const forged = (await ticket('ext-1')).replace(/\.[^.]+$/, '.AAAA');
      expect(await signIn({ ticket: forged })).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant', error_description: '自定义登录凭证无效' },
      });
      const now = Math.floor(clock.now() / 1000);
      expect(
        await signIn({ ticket: await ticket('ext-1', { iat: now - 200, exp: now - 100 }) }, { 'accept-language': 'en' }),
      ).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'The custom sign-in ticket has expired; get a new one.' },
      });
      const once = await ticket('ext-1');
      expect((await signIn({ ticket: once })).status).toBe(200);
      expect(await signIn({ ticket: once }, { 'accept-language': 'en' })).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'The custom sign-in ticket was already used; get a new one.' },
      });
    });

    it('says not_found for an unknown id once the client stops creating users; audits every outcome', async () => {
      await adminPost(s, '/admin/v1/clients/web', { custom_ticket_sign_up: false }, 'PATCH');
      try {
        expect(await signIn({ ticket: await ticket('ext-unknown') })).toMatchObject({
          status: 404,
          body: { error: 'not_found', error_description: '您输入的登录账户不存在' },
        });
        expect((await signIn({ ticket: await ticket('ext-1') })).status).toBe(200);
      } finally {
        await adminPost(s, '/admin/v1/clients/web', { custom_ticket_sign_up: true }, 'PATCH');
      }
      const events = await fetch(`${s.admin}/admin/v1/audit-events?tenant_id=acme&page_size=5`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      }).then((r) => r.json());
      expect(events.events.slice(0, 2)).toMatchObject([
        { event: 'sign_in', reason: 'custom_ticket', client_id: 'web' },
        { event: 'sign_in_failed', reason: 'not_found', detail: 'ticket_user_unknown' },
      ]);
    });
  });

  describe('gRPC', () => {
    it('signs in with SignInWithCustomTicket and refuses a replay as INVALID_ARGUMENT invalid_grant', async () => {
      const t = await ticket('ext-grpc');
      const res = await call<object, TokenResponse>(s.grpc, 'signInWithCustomTicket', {
        client_id: 'web',
        provider_id: 'custom',
        ticket: t,
      });
      expect(res).toMatchObject({ token_type: 'Bearer', sub: expect.any(String) });
      const f = await grpcFailure(call(s.grpc, 'signInWithCustomTicket', { client_id: 'web', ticket: t }, { 'accept-language': 'en' }));
      expect(f).toMatchObject({ code: 3, reason: 'invalid_grant' });
      expect(f.message).toBe('The custom sign-in ticket was already used; get a new one.');
    });
  });

  describe('ticket keys through the admin API and the CLI', () => {
    it('lists, refuses a kid twice or a private key, and removes over REST', async () => {
      const list = await fetch(`${s.admin}/admin/v1/clients/web/ticket-keys`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const keys = (await list.json()).keys;
      expect(keys).toMatchObject([{ kid: 'k1', alg: 'ES256', created_at: expect.any(String) }]);
      expect(JSON.parse(keys[0].public_jwk)).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
      expect(await adminPost(s, '/admin/v1/clients/web/ticket-keys', { kid: 'k1', public_key: backend.publicPem })).toMatchObject({
        status: 409,
        body: { error: 'already_exists' },
      });
      const privateJwk = JSON.stringify({ ...JSON.parse(backend.publicJwk), d: 'AAAA' });
      expect(await adminPost(s, '/admin/v1/clients/web/ticket-keys', { kid: 'k9', public_key: privateJwk })).toMatchObject({
        status: 400,
        body: { error: 'invalid_argument' },
      });
      expect(await adminPost(s, '/admin/v1/clients/nope/ticket-keys', { kid: 'k9', public_key: backend.publicPem })).toMatchObject({
        status: 404,
      });
      expect(await adminPost(s, '/admin/v1/clients/web/ticket-keys/nope', undefined, 'DELETE')).toMatchObject({ status: 404 });
    });

    it('rotates with the CLI: add the new key, sign with it, remove the old one', async () => {
      const next = await ticketBackend({ clientId: 'web', issuer: s.config.issuer }, 'k2', 'EdDSA');
      const file = path.join(dir, 'k2.pem');
      writeFileSync(file, next.publicPem);
      const added = await cli('ticket-keys', 'add', '--client', 'web', '--kid', 'k2', '--key-file', file);
      expect(added).toMatchObject({ code: 0, stderr: '' });
      expect(added.stdout).toMatch(/kid:\s+k2/);
      expect(added.stdout).toMatch(/alg:\s+EdDSA/);
      const listed = await cli('ticket-keys', 'list', '--client', 'web', '--json');
      expect(JSON.parse(listed.stdout).map((k: { kid: string }) => k.kid)).toEqual(['k1', 'k2']);

      // Both keys work during the rotation.
      expect((await signIn({ ticket: await next.ticket('ext-1', clock.now()) })).status).toBe(200);
      expect((await signIn({ ticket: await ticket('ext-1') })).status).toBe(200);
      expect(await cli('ticket-keys', 'remove', '--client', 'web', '--kid', 'k1')).toMatchObject({ code: 0 });
      expect(await signIn({ ticket: await ticket('ext-1') }, { 'accept-language': 'en' })).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'The custom sign-in ticket is invalid.' },
      });
      backend = next;

      // The server's refusals reach the operator; a missing file is a usage error.
      const again = await cli('ticket-keys', 'add', '--client', 'web', '--kid', 'k2', '--key-file', file);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already_exists/);
      expect((await cli('ticket-keys', 'add', '--client', 'web', '--kid', 'k3', '--key-file', path.join(dir, 'missing'))).code).toBe(2);
      expect((await cli('ticket-keys', 'add', '--client', 'web', '--kid', 'k3', '--key-file', file, '--alg', 'HS256')).code).toBe(2);
    });

    it('switches custom_ticket_sign_up with the CLI', async () => {
      const off = await cli('clients', 'update', 'web', '--custom-ticket-sign-up', 'off');
      expect(off).toMatchObject({ code: 0 });
      expect(off.stdout).toMatch(/custom_ticket_sign_up:\s+false/);
      const on = await cli('clients', 'update', 'web', '--custom-ticket-sign-up', 'on', '--json');
      expect(JSON.parse(on.stdout)).toMatchObject({ clientId: 'web', customTicketSignUp: true });
    });
  });
});
