// Custom sign-in tickets in the domain (in-memory storage): the ticket keys an operator registers,
// and signInWithTicket's every refusal. The clock is far from the wall clock on purpose: tickets
// are read against the domain's clock only.
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeDeps, type FakeDeps, storedAuditEvents } from '../helpers/fakes.js';
import { FakeClock } from '../helpers/clock.js';
import { ticketBackend, type TicketBackend } from '../helpers/tickets.js';
import * as admin from '../../src/domain/accounts/admin.js';
import { SignetError } from '../../src/domain/errors.js';
import type { TenantPolicy } from '../../src/domain/model.js';
import { addTicketKey, listTicketKeys, removeTicketKey } from '../../src/domain/keys/ticket-keys.js';
import { signInWithTicket, type TicketSignInCommand } from '../../src/domain/signin/ticket.js';
import { currentUser } from '../../src/domain/sessions/bearer.js';

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => ({ reason: 'ok' }) as const,
    (e) => {
      if (e instanceof SignetError) return { reason: e.reason, detail: e.detail, message: e.details.message };
      throw e;
    },
  );

const INVALID = 'invalid_grant.ticket_invalid';

describe('custom sign-in tickets (domain)', () => {
  let deps: FakeDeps;
  let clock: FakeClock;
  let backend: TicketBackend;

  const cmd = (ticket: string, over: Partial<TicketSignInCommand> = {}): TicketSignInCommand => ({
    client: { clientId: 'web', clientSecret: '' },
    ip: '10.0.0.9',
    deviceId: '',
    providerId: 'custom',
    ticket,
    ...over,
  });
  const ticket = (sub: string, claims?: Record<string, unknown>, header?: Record<string, unknown>) =>
    backend.ticket(sub, clock.now(), claims, header);
  const signIn = async (sub: string, claims?: Record<string, unknown>) => signInWithTicket(deps, cmd(await ticket(sub, claims)));

  const setup = async (opts: { signUp?: boolean; policy?: TenantPolicy; defence?: Partial<FakeDeps['settings']['defence']> } = {}) => {
    clock = new FakeClock();
    const base = await fakeDeps({}, clock);
    deps = await fakeDeps({ defence: { ...base.settings.defence, ...opts.defence } }, clock);
    await admin.createTenant(deps, 't1', 'T1', opts.policy ?? {});
    await admin.createClient(deps, {
      id: 'web',
      tenantId: 't1',
      name: 'web',
      public: true,
      grantTypes: ['refresh_token'],
      scopes: ['openid', 'user'],
      accessTokenTtl: 0,
      refreshTokenTtl: 0,
      maxSessions: 5,
      customTicketSignUp: opts.signUp ?? true,
    });
    backend = await ticketBackend({ clientId: 'web', issuer: deps.settings.issuer });
    await addTicketKey(deps, { clientId: 'web', kid: backend.kid, publicKey: backend.publicPem, alg: '' });
  };

  beforeEach(() => setup());

  describe('signs in', () => {
    it('the user a valid ticket names, created the first time, the same user after', async () => {
      const first = await signIn('ext-42');
      const user = await currentUser(deps, first.accessToken);
      expect(user).toMatchObject({ tenantId: 't1', username: null, email: null, anonymous: false, status: 'active', passwordHash: null });
      const again = await signIn('ext-42');
      expect(again.sub).toBe(first.sub);
      expect(again.refreshToken).not.toBe(first.refreshToken);
      expect((await signIn('ext-43')).sub).not.toBe(first.sub);
      await deps.audit.flush();
      const events = (await storedAuditEvents(deps.storage)).filter((e) => e.event.startsWith('sign_'));
      expect(events.map((e) => [e.event, e.reason, e.userId === first.sub])).toEqual([
        ['sign_up', 'custom_ticket', true],
        ['sign_in', 'custom_ticket', true],
        ['sign_in', 'custom_ticket', true],
        ['sign_up', 'custom_ticket', false],
        ['sign_in', 'custom_ticket', false],
      ]);
    });

    it('never takes an identifier a person chose: a sub equal to a username is another user', async () => {
      const alice = await admin.createUser(deps, {
        tenantId: 't1',
        userType: 'P',
        username: 'alice',
        email: '',
        phoneNumber: '',
        name: '',
        password: '',
        passwordHash: '',
        status: 'active',
        groups: [],
        expiresAt: null,
        emailVerified: false,
        phoneVerified: false,
      });
      const t = await signIn('alice');
      expect(t.sub).not.toBe(alice.id);
      expect(await deps.storage.users.findByLogin('t1', 'P', 'username', 'alice')).toMatchObject({ id: alice.id });
    });

    it.each(['RS256', 'EdDSA'] as const)('with %s keys, registered as a JWK', async (alg) => {
      backend = await ticketBackend({ clientId: 'web', issuer: deps.settings.issuer }, `k-${alg}`, alg);
      await addTicketKey(deps, { clientId: 'web', kid: backend.kid, publicKey: backend.publicJwk, alg });
      expect((await signIn('ext-1')).tokenType).toBe('Bearer');
    });

    it('with the provider_id left out, and within the clock skew either way', async () => {
      expect((await signInWithTicket(deps, cmd(await ticket('a'), { providerId: '' }))).sub).toBeTruthy();
      const now = Math.floor(clock.now() / 1000);
      expect((await outcome(signIn('a', { iat: now + 20, exp: now + 80 }))).reason).toBe('ok');
      expect((await outcome(signIn('a', { iat: now - 90, exp: now - 20 }))).reason).toBe('ok');
    });
  });

  describe('refuses', () => {
    it('a ticket signed with another key under a registered kid', async () => {
      const impostor = await ticketBackend({ clientId: 'web', issuer: deps.settings.issuer }, backend.kid);
      expect(await outcome(signInWithTicket(deps, cmd(await impostor.ticket('ext-1', clock.now()))))).toEqual({
        reason: 'invalid_grant',
        detail: 'ticket_signature',
        message: INVALID,
      });
    });

    it('a kid the client does not have (or none), and a removed key', async () => {
      expect(await outcome(signInWithTicket(deps, cmd(await ticket('a', {}, { kid: 'other' }))))).toMatchObject({
        detail: 'ticket_key_unknown',
        message: INVALID,
      });
      expect(await outcome(signInWithTicket(deps, cmd(await ticket('a', {}, { kid: undefined }))))).toMatchObject({
        detail: 'ticket_kid_missing',
      });
      const early = await ticket('a');
      await removeTicketKey(deps, 'web', backend.kid);
      expect(await outcome(signInWithTicket(deps, cmd(early)))).toMatchObject({ detail: 'ticket_key_unknown' });
    });

    it('another algorithm than the key was registered for (HMAC keyed with the public key)', async () => {
      const iat = Math.floor(clock.now() / 1000);
      const forged = await new SignJWT({ iss: 'web', aud: deps.settings.issuer, sub: 'a', iat, exp: iat + 60, jti: 'j' })
        .setProtectedHeader({ alg: 'HS256', kid: backend.kid })
        .sign(new TextEncoder().encode(backend.publicPem));
      expect(await outcome(signInWithTicket(deps, cmd(forged)))).toMatchObject({ reason: 'invalid_grant', detail: 'ticket_alg' });
    });

    it('a ticket for another client or another server, or missing a claim', async () => {
      expect(await outcome(signIn('a', { iss: 'svc' }))).toMatchObject({ detail: 'ticket_iss_invalid', message: INVALID });
      expect(await outcome(signIn('a', { aud: 'https://elsewhere.test' }))).toMatchObject({ detail: 'ticket_aud_invalid' });
      expect(await outcome(signIn('a', { jti: undefined }))).toMatchObject({ detail: 'ticket_jti_missing' });
      expect(await outcome(signIn('a', { exp: undefined }))).toMatchObject({ detail: 'ticket_exp_missing' });
    });

    it('an expired ticket, as expired', async () => {
      const now = Math.floor(clock.now() / 1000);
      expect(await outcome(signIn('a', { iat: now - 120, exp: now - 60 }))).toEqual({
        reason: 'invalid_grant',
        detail: 'ticket_expired',
        message: 'invalid_grant.ticket_expired',
      });
      // Expiring while it travels: valid when signed, refused once the clock has moved past exp.
      const t = await ticket('a');
      clock.advance(91_000);
      expect(await outcome(signInWithTicket(deps, cmd(t)))).toMatchObject({ detail: 'ticket_expired' });
    });

    it('a ticket meant to live longer than 300 s, and one issued in the future', async () => {
      const now = Math.floor(clock.now() / 1000);
      expect(await outcome(signIn('a', { exp: now + 301 }))).toMatchObject({ detail: 'ticket_too_long_lived', message: INVALID });
      expect((await outcome(signIn('a', { exp: now + 300 }))).reason).toBe('ok');
      expect(await outcome(signIn('a', { iat: now + 120, exp: now + 180 }))).toMatchObject({ detail: 'ticket_iat_invalid' });
    });

    it('a ticket used before, even when the first use failed', async () => {
      const t = await ticket('a');
      await signInWithTicket(deps, cmd(t));
      expect(await outcome(signInWithTicket(deps, cmd(t)))).toEqual({
        reason: 'invalid_grant',
        detail: 'ticket_replayed',
        message: 'invalid_grant.ticket_replayed',
      });
      // Another ticket with the same jti is the same ticket.
      expect(
        await outcome(signIn('b', { jti: (JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()) as { jti: string }).jti })),
      ).toMatchObject({
        detail: 'ticket_replayed',
      });
      await setup({ signUp: false });
      const refused = await ticket('nobody');
      expect((await outcome(signInWithTicket(deps, cmd(refused)))).reason).toBe('not_found');
      expect(await outcome(signInWithTicket(deps, cmd(refused)))).toMatchObject({ detail: 'ticket_replayed' });
    });

    it('an unknown user where the client does not allow sign-up, even in a tenant hiding unknown users', async () => {
      await setup({ signUp: false, policy: { hideUnknownUsers: true } });
      expect(await outcome(signIn('ext-9'))).toEqual({ reason: 'not_found', detail: 'ticket_user_unknown', message: 'not_found.user' });
      expect((await deps.storage.users.list({ pageSize: 10, pageToken: '' }, {})).items).toEqual([]);
      // Allowed again, the id is created; disallowed again, the known user still signs in.
      await admin.updateClient(deps, 'web', { customTicketSignUp: true });
      const t = await signIn('ext-9');
      await admin.updateClient(deps, 'web', { customTicketSignUp: false });
      expect((await signIn('ext-9')).sub).toBe(t.sub);
    });

    it('a blocked user, a disabled client and a disabled tenant', async () => {
      const { sub } = await signIn('ext-1');
      await admin.updateUser(deps, sub, { status: 'blocked' });
      expect(await outcome(signIn('ext-1'))).toMatchObject({ reason: 'user_blocked' });
      await deps.audit.flush();
      expect((await storedAuditEvents(deps.storage)).at(-1)).toMatchObject({
        event: 'sign_in_failed',
        userId: sub,
        reason: 'user_blocked',
      });
      await admin.updateClient(deps, 'web', { status: 'disabled' });
      expect(await outcome(signIn('ext-2'))).toMatchObject({ reason: 'invalid_client' });
      await admin.updateClient(deps, 'web', { status: 'enabled' });
      await admin.updateTenant(deps, 't1', { status: 'disabled' });
      expect(await outcome(signIn('ext-2'))).toMatchObject({ reason: 'tenant_disabled' });
    });

    it('a malformed ticket, a wrong provider_id, no ticket, a bad sub', async () => {
      expect(await outcome(signInWithTicket(deps, cmd('not.a.jws')))).toMatchObject({ detail: 'ticket_malformed', message: INVALID });
      expect(await outcome(signInWithTicket(deps, cmd(await ticket('a'), { providerId: 'wechat' })))).toMatchObject({
        reason: 'invalid_argument',
        detail: 'bad_provider_id',
      });
      expect(await outcome(signInWithTicket(deps, cmd('')))).toMatchObject({ reason: 'invalid_argument', detail: 'bad_ticket' });
      expect(await outcome(signIn('x'.repeat(129)))).toMatchObject({ detail: 'ticket_sub_invalid' });
      expect(await outcome(signIn('a\u0000b'))).toMatchObject({ detail: 'ticket_sub_invalid' });
    });

    it('over the rate limit, before any key is read', async () => {
      await setup({ defence: { clientPerMinute: 1 } });
      await signIn('a');
      const read = vi.spyOn(deps.storage.ticketKeys, 'get');
      expect(await outcome(signIn('a'))).toMatchObject({ reason: 'resource_exhausted' });
      expect(read).not.toHaveBeenCalled();
    });
  });

  describe('ticket keys (operator)', () => {
    const add = (publicKey: string, over: { kid?: string; alg?: string; clientId?: string } = {}) =>
      outcome(addTicketKey(deps, { clientId: over.clientId ?? 'web', kid: over.kid ?? 'k9', publicKey, alg: over.alg ?? '' }));

    it('registers PEM and JWK public keys with their algorithm, lists them, refuses a kid twice', async () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const key = await addTicketKey(deps, {
        clientId: 'web',
        kid: 'k2',
        publicKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        alg: '',
      });
      expect(key).toMatchObject({ alg: 'RS256', publicJwk: { kty: 'RSA', e: 'AQAB' } });
      expect(Object.keys(key.publicJwk).sort()).toEqual(['e', 'kty', 'n']);
      const ed = generateKeyPairSync('ed25519');
      const jwk = { ...ed.publicKey.export({ format: 'jwk' }), kid: 'whatever', use: 'sig' };
      expect((await addTicketKey(deps, { clientId: 'web', kid: 'k3', publicKey: JSON.stringify(jwk), alg: 'EdDSA' })).alg).toBe('EdDSA');
      expect((await listTicketKeys(deps, 'web')).map((k) => [k.kid, k.alg])).toEqual([
        ['k1', 'ES256'],
        ['k2', 'RS256'],
        ['k3', 'EdDSA'],
      ]);
      expect(await add(backend.publicPem, { kid: 'k1' })).toMatchObject({ reason: 'already_exists' });
      await deps.audit.flush();
      expect((await storedAuditEvents(deps.storage)).filter((e) => e.event === 'ticket_key_added').map((e) => e.detail)).toEqual([
        'k1',
        'k2',
        'k3',
      ]);
    });

    it('refuses private keys, weak or unsupported keys, a wrong alg, a bad kid, an unknown client', async () => {
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const privateJwk = JSON.stringify(ec.privateKey.export({ format: 'jwk' }));
      expect(await add(privateJwk)).toMatchObject({ reason: 'invalid_argument', detail: 'bad_public_key' });
      expect(await add(ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toMatchObject({ detail: 'bad_public_key' });
      expect(await add(JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' }))).toMatchObject({ detail: 'bad_public_key' });
      const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
      expect(await add(small.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toMatchObject({ detail: 'bad_public_key' });
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      expect(await add(p384.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toMatchObject({ detail: 'bad_public_key' });
      expect(await add(backend.publicPem, { alg: 'RS256' })).toMatchObject({ detail: 'bad_alg' });
      expect(await add(JSON.stringify({ ...JSON.parse(backend.publicJwk), alg: 'EdDSA' }))).toMatchObject({ detail: 'bad_public_key' });
      expect(await add('not a key')).toMatchObject({ detail: 'bad_public_key' });
      expect(await add(backend.publicPem, { kid: 'bad kid' })).toMatchObject({ detail: 'bad_kid' });
      expect(await add(backend.publicPem, { clientId: 'nope' })).toMatchObject({ reason: 'not_found' });
      expect(await outcome(removeTicketKey(deps, 'web', 'nope'))).toMatchObject({ reason: 'not_found', detail: 'ticket_key_unknown' });
    });
  });
});
