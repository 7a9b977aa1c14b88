// Sign-up, anonymous users and the sign-up form's checks, in the domain (in-memory storage).
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeDeps, type fakeSender, storedAuditEvents } from '../helpers/fakes.js';
import { FakeClock } from '../helpers/clock.js';
import * as admin from '../../src/domain/accounts/admin.js';
import { SignetError } from '../../src/domain/errors.js';
import type { Tenant, TenantPolicy } from '../../src/domain/model.js';
import { sendCode, verifyCode, type CodeUsage } from '../../src/domain/defence/codes.js';
import {
  checkIfUserExist,
  checkUsername,
  purgeExpiredAnonymous,
  signInAnonymously,
  signUp,
  type SignUpCommand,
} from '../../src/domain/accounts/sign-up.js';
import { currentUser } from '../../src/domain/sessions/bearer.js';
import { checkUsable } from '../../src/domain/signin/rules.js';

type D = Awaited<ReturnType<typeof fakeDeps>>;
const OPEN: TenantPolicy = { signUpEnabled: true, anonymousSignIn: true };
const GOOD = 'vq7-Rn2;xe-lamp';

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => ({ reason: 'ok' }) as const,
    (e) => {
      if (e instanceof SignetError) return { reason: e.reason, detail: e.detail, message: e.details.message };
      throw e;
    },
  );

describe('sign-up (domain)', () => {
  let deps: D;
  let clock: FakeClock;
  let sender: ReturnType<typeof fakeSender>;
  let tenant: Tenant;

  const cmd = (over: Partial<SignUpCommand> = {}): SignUpCommand => ({
    client: { clientId: 'web', clientSecret: '' },
    ip: '10.0.0.9',
    deviceId: '',
    username: '',
    email: '',
    phoneNumber: '',
    password: '',
    verificationToken: '',
    profile: { name: '', gender: '', picture: '', locale: '' },
    anonymousToken: '',
    captchaToken: '',
    userType: '',
    sourceType: '',
    ...over,
  });

  const tokenFor = async (destination: string, usage: CodeUsage = 'sign_up') => {
    const r = await sendCode(deps, {
      tenant,
      userType: 'P',
      channel: destination.includes('@') ? 'email' : 'sms',
      destination,
      target: 'ANY',
      usage,
      locale: 'en',
      ip: '',
      clientId: 'web',
    });
    return (await verifyCode(deps, r.verificationId, sender.sent[sender.sent.length - 1].code)).verificationToken;
  };

  const setup = async (policy: TenantPolicy = OPEN, defence: Partial<D['settings']['defence']> = {}) => {
    clock = FakeClock.midMinute();
    const base = await fakeDeps({}, clock);
    deps = await fakeDeps(
      { defence: { ...base.settings.defence, ...defence }, codes: { ...base.settings.codes, resendSeconds: 0 } },
      clock,
    );
    sender = deps.sender as ReturnType<typeof fakeSender>;
    tenant = await admin.createTenant(deps, 't1', 'T1', policy);
    await admin.createClient(deps, {
      id: 'web',
      tenantId: 't1',
      name: 'web',
      public: true,
      grantTypes: ['password', 'refresh_token'],
      scopes: ['openid', 'user'],
      accessTokenTtl: 0,
      refreshTokenTtl: 0,
      maxSessions: 5,
    });
  };

  beforeEach(() => setup());

  it('username + password: an active user, signed in, audited as sign_up', async () => {
    const t = await signUp(
      deps,
      cmd({
        username: 'Ann_1',
        password: GOOD,
        profile: { name: 'Ann', gender: 'female', picture: 'https://x.test/a.png', locale: 'zh_CN' },
      }),
    );
    const u = await currentUser(deps, t.accessToken);
    expect(u).toMatchObject({
      username: 'ann_1',
      name: 'Ann',
      gender: 'FEMALE',
      picture: 'https://x.test/a.png',
      locale: 'zh-CN',
      anonymous: false,
      status: 'active',
    });
    expect((await deps.hasher.verify(u.passwordHash!, GOOD)).ok).toBe(true);
    await deps.audit.flush();
    expect((await storedAuditEvents(deps.storage)).filter((e) => e.event === 'sign_up').map((e) => e.reason)).toEqual(['username']);
  });

  it('e-mail proven by a sign-up code: verified, password optional; the code of another usage or address is refused', async () => {
    expect(await outcome(signUp(deps, cmd({ email: 'b@x.test', verificationToken: await tokenFor('b@x.test', 'sign_in') })))).toMatchObject(
      {
        reason: 'invalid_grant',
      },
    );
    expect(await outcome(signUp(deps, cmd({ email: 'b@x.test', verificationToken: await tokenFor('c@x.test') })))).toMatchObject({
      reason: 'invalid_grant',
      detail: 'verification_destination_mismatch',
    });
    const t = await signUp(deps, cmd({ email: 'B@x.test', verificationToken: await tokenFor('b@x.test') }));
    expect(await currentUser(deps, t.accessToken)).toMatchObject({ email: 'b@x.test', emailVerified: true, passwordHash: null });
    // Taken: told only to whoever proved the address.
    expect(await outcome(signUp(deps, cmd({ email: 'b@x.test', verificationToken: await tokenFor('b@x.test') })))).toMatchObject({
      reason: 'already_exists',
    });
    expect(await outcome(signUp(deps, cmd({ email: 'b@x.test', verificationToken: 'forged' })))).toMatchObject({ reason: 'invalid_grant' });
  });

  it('phone proven by a sign-up SMS code, with a username and a password', async () => {
    const token = await tokenFor('+8613900000001');
    const t = await signUp(deps, cmd({ phoneNumber: '139 0000 0001', username: 'kim', password: GOOD, verificationToken: token }));
    expect(await currentUser(deps, t.accessToken)).toMatchObject({
      phoneNumber: '+8613900000001',
      phoneVerified: true,
      username: 'kim',
      email: null,
    });
    // An e-mail token does not prove a phone.
    expect(
      await outcome(signUp(deps, cmd({ phoneNumber: '+8613900000002', verificationToken: await tokenFor('k@x.test') }))),
    ).toMatchObject({
      detail: 'verification_destination_mismatch',
    });
    expect(await outcome(signUp(deps, cmd({ phoneNumber: '+8613900000002' })))).toMatchObject({ detail: 'bad_verification_token' });
  });

  it('closed unless the tenant opens it, the client allows it and the method is listed', async () => {
    await setup({});
    expect(await outcome(signUp(deps, cmd({ username: 'ann', password: GOOD })))).toEqual({
      reason: 'permission_denied',
      detail: 'sign_up_closed_tenant',
      message: 'permission_denied.sign_up_closed',
    });
    await admin.updateTenant(deps, 't1', { policy: { signUpEnabled: true, signUpMethods: ['email'] } });
    expect(await outcome(signUp(deps, cmd({ username: 'ann', password: GOOD })))).toMatchObject({ detail: 'sign_up_method_username' });
    await admin.updateTenant(deps, 't1', { policy: { signUpMethods: ['username'] } });
    await admin.updateClient(deps, 'web', { signUpEnabled: false });
    expect(await outcome(signUp(deps, cmd({ username: 'ann', password: GOOD })))).toMatchObject({ detail: 'sign_up_closed_client' });
    expect(await outcome(signInAnonymously(deps, { client: { clientId: 'web', clientSecret: '' }, ip: '', deviceId: '' }))).toMatchObject({
      reason: 'permission_denied',
    });
  });

  it('the password policy, with the username and e-mail as identifiers, before anything is spent or hashed', async () => {
    const hash = vi.spyOn(deps.hasher, 'hash');
    const token = await tokenFor('carol@x.test');
    expect(await outcome(signUp(deps, cmd({ email: 'carol@x.test', verificationToken: token, password: 'Carol-2024!' })))).toMatchObject({
      reason: 'weak_password',
      message: 'weak_password.contains_identifier',
    });
    expect(await outcome(signUp(deps, cmd({ username: 'dave', password: 'short' })))).toMatchObject({ message: 'weak_password.too_short' });
    expect(hash).not.toHaveBeenCalled();
    // The weak password did not burn the code.
    expect((await outcome(signUp(deps, cmd({ email: 'carol@x.test', verificationToken: token, password: GOOD })))).reason).toBe('ok');
  });

  it('a taken username is already_exists before the verification token is spent', async () => {
    await signUp(deps, cmd({ username: 'erin', password: GOOD }));
    const token = await tokenFor('erin@x.test');
    expect(await outcome(signUp(deps, cmd({ username: 'Erin', email: 'erin@x.test', verificationToken: token })))).toMatchObject({
      reason: 'already_exists',
    });
    expect((await outcome(signUp(deps, cmd({ username: 'erin2', email: 'erin@x.test', verificationToken: token })))).reason).toBe('ok');
  });

  it('a burst from one IP is refused before any hashing or row', async () => {
    await setup(OPEN, { ipPerMinute: 3 });
    const hash = vi.spyOn(deps.hasher, 'hash');
    const create = vi.spyOn(deps.storage.users, 'create');
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await outcome(signUp(deps, cmd({ username: `burst${i}`, password: GOOD }))));
    expect(results.map((r) => r.reason)).toEqual(['ok', 'ok', 'ok', 'resource_exhausted', 'resource_exhausted', 'resource_exhausted']);
    expect(hash).toHaveBeenCalledTimes(3);
    expect(create).toHaveBeenCalledTimes(3);
  });

  it('anonymous: signs in, upgrades in place (same sub, anonymous session ended), expires and is purged', async () => {
    const anon = await signInAnonymously(deps, { client: { clientId: 'web', clientSecret: '' }, ip: '', deviceId: '' });
    const a = await currentUser(deps, anon.accessToken);
    expect(a).toMatchObject({ anonymous: true, username: null, expiresAt: new Date(clock.now() + 30 * 86400_000) });
    const t = await signUp(deps, cmd({ username: 'frank', password: GOOD, anonymousToken: anon.accessToken }));
    expect(t.sub).toBe(a.id);
    expect(await currentUser(deps, t.accessToken)).toMatchObject({ id: a.id, anonymous: false, expiresAt: null, username: 'frank' });
    expect(await outcome(currentUser(deps, anon.accessToken))).toMatchObject({ reason: 'unauthenticated', detail: 'session_revoked' });
    await deps.audit.flush();
    const events = (await storedAuditEvents(deps.storage)).map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(['anonymous_upgraded', 'sign_up']));

    // Another anonymous user, never upgraded: usable until its expiry, then purged.
    const other = await signInAnonymously(deps, { client: { clientId: 'web', clientSecret: '' }, ip: '', deviceId: '' });
    expect(await purgeExpiredAnonymous(deps)).toBe(0);
    const purgeable = await deps.storage.users.get(other.sub);
    clock.advance(30 * 86400_000 - 1000);
    // Not expired before its expiry (the access token has long expired; the account has not).
    expect(() => checkUsable(purgeable!, deps.now())).not.toThrow();
    clock.advance(2000);
    expect(() => checkUsable(purgeable!, deps.now())).toThrow('user_expired');
    expect(await purgeExpiredAnonymous(deps)).toBe(1);
    expect(await deps.storage.users.get(other.sub)).toBeNull();
    expect(await deps.storage.users.get(a.id)).not.toBeNull(); // the upgraded one stays
  });

  it('an anonymous token must be an anonymous user’s', async () => {
    const full = await signUp(deps, cmd({ username: 'gina', password: GOOD }));
    expect(await outcome(signUp(deps, cmd({ username: 'gina2', password: GOOD, anonymousToken: full.accessToken })))).toMatchObject({
      reason: 'invalid_argument',
      detail: 'not_anonymous',
    });
    expect(await outcome(signUp(deps, cmd({ username: 'gina3', password: GOOD, anonymousToken: 'junk' })))).toMatchObject({
      reason: 'unauthenticated',
    });
  });

  it('profile fields are validated', async () => {
    const bad = (profile: Partial<SignUpCommand['profile']>) =>
      outcome(
        signUp(deps, cmd({ username: 'hal', password: GOOD, profile: { name: '', gender: '', picture: '', locale: '', ...profile } })),
      );
    expect(await bad({ gender: 'other' })).toMatchObject({ reason: 'invalid_argument', detail: 'bad_gender' });
    expect(await bad({ picture: 'javascript:alert(1)' })).toMatchObject({ detail: 'bad_picture' });
    expect(await bad({ picture: `https://x.test/${'a'.repeat(1024)}` })).toMatchObject({ detail: 'bad_picture' });
    expect(await bad({ locale: 'not a locale' })).toMatchObject({ detail: 'bad_locale' });
    expect(await outcome(signUp(deps, cmd({ username: '+8613800000000', password: GOOD })))).toMatchObject({ detail: 'bad_username' });
  });

  it('CheckUsername and CheckIfUserExist; existence hidden when the tenant hides unknown users', async () => {
    await signUp(deps, cmd({ username: 'ivy', password: GOOD }));
    const call = { client: { clientId: 'web', clientSecret: '' }, accessToken: '', ip: '' };
    expect(await outcome(checkUsername(deps, { ...call, username: 'IVY', userType: '' }))).toMatchObject({ reason: 'already_exists' });
    expect(await outcome(checkUsername(deps, { ...call, username: 'jay', userType: '' }))).toEqual({ reason: 'ok' });
    expect(await outcome(checkUsername(deps, { ...call, username: 'a@b.c', userType: '' }))).toMatchObject({ reason: 'invalid_argument' });
    expect(await checkIfUserExist(deps, { ...call, username: 'ivy', userType: '' })).toBe(true);
    expect(await checkIfUserExist(deps, { ...call, username: 'nobody@x.test', userType: '' })).toBe(false);
    await admin.updateTenant(deps, 't1', { policy: { hideUnknownUsers: true } });
    expect(await outcome(checkIfUserExist(deps, { ...call, username: 'ivy', userType: '' }))).toEqual({
      reason: 'permission_denied',
      detail: 'existence_hidden',
      message: 'permission_denied.existence_hidden',
    });
  });
});
