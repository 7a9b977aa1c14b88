// What the id_token says about the authentication: amr (RFC 8176) per way of signing in, at_hash
// (OIDC Core 3.1.3.6), and auth_time and amr unchanged by a refresh.
import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeDeps, type fakeSender } from '../helpers/fakes.js';
import { FakeClock } from '../helpers/clock.js';
import { tokenCmd, userInput } from '../helpers/commands.js';
import * as admin from '../../src/domain/accounts/admin.js';
import type { Tenant } from '../../src/domain/model.js';
import { leftHalfHash } from '../../src/domain/keys/signing-keys.js';
import { token } from '../../src/domain/tokens/token.js';
import type { IssuedTokens } from '../../src/domain/tokens/mint.js';
import { sendCode, verifyCode } from '../../src/domain/defence/codes.js';
import { signInWithVerificationToken } from '../../src/domain/signin/code.js';
import { signInAnonymously, signUp, type SignUpCommand } from '../../src/domain/accounts/sign-up.js';
import { authorize } from '../../src/domain/tokens/authorize.js';
import { authorizeDevice, DEVICE_CODE, deviceAuthorization } from '../../src/domain/tokens/device.js';
import { sha256Hex } from '../../src/domain/crypto/secrets.js';

type D = Awaited<ReturnType<typeof fakeDeps>>;
const PHONE = '+8613800000000';
const EMAIL = 'u1@example.com';
const PASSWORD = 'pw';
const REDIRECT = 'https://app.example/cb';
const MINUTE = 60_000;

/** at_hash computed here, apart from the code under test: SHA-256, left 128 bits, base64url. */
const sha256AtHash = (accessToken: string) =>
  createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');

const idClaims = (t: IssuedTokens) => decodeJwt(t.idToken);

describe('at_hash', () => {
  it('is the OpenID Connect Core example (appendix A.3) for a SHA-256 alg', () => {
    const accessToken = 'jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y';
    expect(leftHalfHash('RS256', accessToken)).toBe('77QmUPtjPfzWtF2AnpK9RQ');
    for (const alg of ['ES256', 'PS256']) expect(leftHalfHash(alg, accessToken)).toBe(sha256AtHash(accessToken));
  });

  it("takes the hash of the alg: SHA-384 for ES384, SHA-512 for EdDSA (Ed25519's own), half of it", () => {
    const half = (hash: string, bytes: number) =>
      createHash(hash).update('token', 'ascii').digest().subarray(0, bytes).toString('base64url');
    expect(leftHalfHash('ES384', 'token')).toBe(half('sha384', 24));
    expect(leftHalfHash('EdDSA', 'token')).toBe(half('sha512', 32));
  });
});

describe('amr and auth_time in the id_token', () => {
  let deps: D;
  let clock: FakeClock;
  let sender: ReturnType<typeof fakeSender>;
  let tenant: Tenant;
  let secret: string;
  let userId: string;

  const grant = (fields: Record<string, string>) => token(deps, tokenCmd({ client_id: 'app', client_secret: secret, ...fields }));
  const password = (over: Record<string, string> = {}) => grant({ grant_type: 'password', username: 'u1', password: PASSWORD, ...over });
  const refresh = (rt: string) => grant({ grant_type: 'refresh_token', refresh_token: rt });
  const sessionOf = async (rt: string) => (await deps.storage.sessions.findRefreshToken(sha256Hex(rt)))!.session;

  /** A code sent and received for the destination: its id and the code itself. */
  const codeFor = async (destination: string, usage: 'sign_in' | 'sign_up' = 'sign_in') => {
    const r = await sendCode(deps, {
      tenant,
      userType: 'P',
      channel: destination.includes('@') ? 'email' : 'sms',
      destination,
      target: 'ANY',
      usage,
      locale: 'en',
      ip: '',
      clientId: 'app',
    });
    return { id: r.verificationId, code: sender.sent[sender.sent.length - 1].code };
  };
  const verificationTokenFor = async (destination: string, usage: 'sign_in' | 'sign_up' = 'sign_in') => {
    const { id, code } = await codeFor(destination, usage);
    return (await verifyCode(deps, id, code)).verificationToken;
  };
  const signUpCmd = (over: Partial<SignUpCommand>): SignUpCommand => ({
    client: { clientId: 'app', clientSecret: secret },
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

  beforeEach(async () => {
    clock = FakeClock.midMinute();
    const base = await fakeDeps({}, clock);
    deps = await fakeDeps({ codes: { ...base.settings.codes, resendSeconds: 0 } }, clock);
    sender = deps.sender as ReturnType<typeof fakeSender>;
    tenant = await admin.createTenant(deps, 't1', 'T1', { signUpEnabled: true, anonymousSignIn: true });
    ({ secret } = await admin.createClient(deps, {
      id: 'app',
      tenantId: 't1',
      name: 'app',
      public: false,
      grantTypes: ['password', 'refresh_token', 'sms', 'authorization_code', DEVICE_CODE],
      scopes: ['openid', 'user'],
      accessTokenTtl: 0,
      refreshTokenTtl: 0,
      maxSessions: 10,
      redirectUris: [REDIRECT],
    }));
    const user = await admin.createUser(
      deps,
      userInput({ username: 'u1', password: PASSWORD, bypassPasswordPolicy: true, email: EMAIL, phoneNumber: PHONE }),
    );
    userId = user.id;
  });

  it('password: amr pwd, auth_time the sign-in, at_hash of the access token issued with it', async () => {
    const t = await password();
    const header = decodeProtectedHeader(t.idToken);
    expect(header.alg).toBe('ES256');
    expect(idClaims(t)).toMatchObject({ amr: ['pwd'], auth_time: Math.floor(clock.now() / 1000), at_hash: sha256AtHash(t.accessToken) });
    expect(await sessionOf(t.refreshToken)).toMatchObject({ amr: ['pwd'], authTime: new Date(clock.now()) });
  });

  it('password with the phone code the tenant asks for: pwd, sms and mfa', async () => {
    await admin.updateTenant(deps, 't1', { policy: { ...tenant.policy, secondFactor: 'always' } });
    const t = await password({ verification_token: await verificationTokenFor(PHONE) });
    expect(idClaims(t).amr).toEqual(['pwd', 'sms', 'mfa']);
  });

  it('a refresh repeats auth_time and amr, and hashes its own access token', async () => {
    const first = await password();
    const signedInAt = Math.floor(clock.now() / 1000);
    clock.advance(30 * MINUTE);
    const second = await refresh(first.refreshToken);
    clock.advance(30 * MINUTE);
    const third = await refresh(second.refreshToken);
    for (const t of [second, third]) {
      const claims = idClaims(t);
      expect(claims).toMatchObject({ amr: ['pwd'], auth_time: signedInAt, at_hash: sha256AtHash(t.accessToken) });
      expect(claims.iat).toBeGreaterThan(signedInAt);
    }
    expect(idClaims(third).at_hash).not.toBe(idClaims(second).at_hash);
  });

  it('SMS code (sms grant): amr sms', async () => {
    const { id, code } = await codeFor(PHONE);
    const t = await grant({ grant_type: 'sms', phone: PHONE, captcha: code, captcha_key: id });
    expect(idClaims(t).amr).toEqual(['sms']);
  });

  it('codes by verification token: sms for the phone, otp for e-mail (RFC 8176 has no e-mail value)', async () => {
    const cc = { client: (await deps.directory.client('app'))!, tenant };
    const withToken = async (destination: string) =>
      signInWithVerificationToken(deps, cc, {
        verificationToken: await verificationTokenFor(destination),
        identifier: {},
        userType: '',
        scope: '',
        deviceId: '',
        sourceType: '',
        ip: '',
      });
    expect(idClaims(await withToken(PHONE)).amr).toEqual(['sms']);
    const byEmail = await withToken(EMAIL);
    expect(idClaims(byEmail).amr).toEqual(['otp']);
    expect((await sessionOf(byEmail.refreshToken)).amr).toEqual(['otp']);
  });

  it('anonymous: no amr claim, and none after a refresh', async () => {
    const t = await signInAnonymously(deps, { client: { clientId: 'app', clientSecret: secret }, ip: '', deviceId: '' });
    expect(idClaims(t)).not.toHaveProperty('amr');
    expect(idClaims(t).at_hash).toBe(sha256AtHash(t.accessToken));
    clock.advance(MINUTE);
    expect(idClaims(await refresh(t.refreshToken))).not.toHaveProperty('amr');
  });

  it('sign-up: pwd for the password chosen, the code for the contact it proved', async () => {
    const byName = await signUp(deps, signUpCmd({ username: 'ann', password: 'vq7-Rn2;xe-lamp' }));
    expect(idClaims(byName).amr).toEqual(['pwd']);
    const byPhone = await signUp(
      deps,
      signUpCmd({ phoneNumber: '+8613800000009', verificationToken: await verificationTokenFor('+8613800000009', 'sign_up') }),
    );
    expect(idClaims(byPhone).amr).toEqual(['sms']);
    const byEmail = await signUp(
      deps,
      signUpCmd({
        email: 'bo@example.com',
        password: 'vq7-Rn2;xe-lamp',
        verificationToken: await verificationTokenFor('bo@example.com', 'sign_up'),
      }),
    );
    expect(idClaims(byEmail).amr).toEqual(['pwd', 'otp']);
  });

  it('authorization code: the authorizing session’s amr and auth_time, kept across refreshes of both', async () => {
    const { id, code: smsCode } = await codeFor(PHONE);
    const signedIn = await grant({ grant_type: 'sms', phone: PHONE, captcha: smsCode, captcha_key: id });
    const signedInAt = Math.floor(clock.now() / 1000);
    // Authorized from a later access token of the same session: still the sign-in's time.
    clock.advance(20 * MINUTE);
    const refreshed = await refresh(signedIn.refreshToken);
    const code = await authorize(deps, {
      accessToken: refreshed.accessToken,
      ip: '',
      clientId: 'app',
      responseType: 'code',
      redirectUri: REDIRECT,
      scope: '',
      codeChallenge: '',
      codeChallengeMethod: '',
      nonce: 'n-1',
    });
    clock.advance(MINUTE / 2);
    const redeemed = await grant({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
    expect(idClaims(redeemed)).toMatchObject({ sub: userId, amr: ['sms'], auth_time: signedInAt, nonce: 'n-1' });
    clock.advance(10 * MINUTE);
    expect(idClaims(await refresh(redeemed.refreshToken))).toMatchObject({ amr: ['sms'], auth_time: signedInAt });
  });

  it('device flow: the approving session’s amr and auth_time', async () => {
    const signedIn = await password();
    const signedInAt = Math.floor(clock.now() / 1000);
    clock.advance(5 * MINUTE);
    const device = await deviceAuthorization(deps, { client: { clientId: 'app', clientSecret: secret }, ip: '', scope: '' });
    await authorizeDevice(deps, { accessToken: signedIn.accessToken, ip: '', userCode: device.userCode, action: '' });
    const t = await grant({ grant_type: DEVICE_CODE, device_code: device.deviceCode });
    expect(idClaims(t)).toMatchObject({ amr: ['pwd'], auth_time: signedInAt });
  });
});
