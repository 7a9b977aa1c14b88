// The official CloudBase JS SDK (@cloudbase/oauth 3.3.3, unchanged) through recovery and
// self-service against a real Signet on PostgreSQL + Redis: sudo + setPassword, updatePasswordByOld,
// resetPassword with a code, modifyPassword / modifyPasswordWithoutLogin (RSA-encrypted),
// editContact, setUserProfile / updateUserBasicInfo, queryUserProfile, deleteMe. Codes are read
// from the webhook receiver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudbaseOAuth } from '@cloudbase/oauth';
import { adminPost, dropSchema, get, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { memoryStorage, rejection, solveCaptcha } from '../helpers/cloudbase.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';

describe('@cloudbase/oauth 3.3.3: recovery and self-service against Signet (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let hook: CodeHook;
  let n = 0;

  const solve = (token: string) => solveCaptcha(s, token);

  const browser = () => {
    const storage = memoryStorage();
    const sdk: CloudbaseOAuth = new CloudbaseOAuth({
      apiOrigin: s.http,
      clientId: 'web',
      env: 'acme',
      storage,
      captchaOptions: {
        openURIWithCallback: async (url: string) => {
          const token = new URLSearchParams(url.slice(url.lastIndexOf('?') + 1)).get('token')!;
          return (await sdk.authApi.verifyCaptchaData({ token, key: (await solve(token)).toUpperCase() })) as any;
        },
      },
    } as ConstructorParameters<typeof CloudbaseOAuth>[0]);
    const accessToken = () => JSON.parse(storage.map.get('credentials_web')!).access_token as string;
    return { sdk, accessToken };
  };
  const newUser = async (opts: { phone?: boolean } = {}) => {
    n++;
    const u = {
      username: `sdk${n}`,
      email: `sdk${n}@example.com`,
      phone: `+861370000${String(n).padStart(4, '0')}`,
      password: `sdk old password ${n}`,
      id: '',
      /** As the SDK wants it ("+CC number"; it prefixes "+86 " to anything else). */
      sdkPhone: `+86 1370000${String(n).padStart(4, '0')}`,
    };
    const r = await adminPost(s, '/admin/v1/users', {
      tenant_id: 'acme',
      username: u.username,
      email: u.email,
      ...(opts.phone === false ? {} : { phone_number: u.phone }),
      password: u.password,
    });
    u.id = r.body.user_id;
    return u;
  };
  const canSignIn = async (username: string, password: string) =>
    (await post(s.http, '/auth/v1/signin', { client_id: 'web', username, password })).status === 200;
  const me = (token: string) => get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${token}` });

  beforeAll(async () => {
    hook = await startCodeHook();
    s = await startTestSignet({
      backend: 'postgres',
      env: { ...hook.env(), SIGNET_CODE_RESEND_SECONDS: '0', SIGNET_IP_FAILURES_CAPTCHA: '0', SIGNET_IP_FAILURES_BLOCK: '0' },
    });
    await seed(s, { maxSessions: 20 });
    await adminPost(s, '/admin/v1/tenants/acme', { policy: { captcha_after_failures: 0 } }, 'PATCH');
  });
  afterAll(async () => {
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  it('sudo with the password, then setPassword: the old password fails, the new one works', async () => {
    const u = await newUser({ phone: false });
    const { sdk } = browser();
    await sdk.authApi.signIn({ username: u.username, password: u.password });
    const { sudo_token } = await sdk.authApi.sudo({ password: u.password });
    await sdk.authApi.setPassword({ sudo_token: sudo_token!, new_password: 'sdk new password 1' });
    expect(await canSignIn(u.username, u.password)).toBe(false);
    expect(await canSignIn(u.username, 'sdk new password 1')).toBe(true);
    // The SDK stays signed in: its own session survived.
    expect((await sdk.authApi.getUserInfo()).sub).toBe(u.id);
  });

  it('updatePasswordByOld', async () => {
    const u = await newUser({ phone: false });
    const { sdk } = browser();
    await sdk.authApi.signIn({ username: u.username, password: u.password });
    await sdk.authApi.updatePasswordByOld({ old_password: u.password, new_password: 'sdk new password 2' });
    expect(await canSignIn(u.username, 'sdk new password 2')).toBe(true);
    const err = await rejection(sdk.authApi.updatePasswordByOld({ old_password: 'not the password', new_password: 'sdk new password 3' }));
    expect(err.error).toBe('invalid_password');
  });

  it('sudo with a code to the own phone (sendVerificationCodeToCurrentUser), then editContact to a new e-mail', async () => {
    const u = await newUser();
    const { sdk } = browser();
    await sdk.authApi.signIn({ username: u.username, password: u.password });
    // The SDK asks for a captcha up front on this call (withCaptcha): the solver answers it.
    const v = await sdk.authApi.sendVerificationCodeToCurrentUser({ usage: 'SUDO' } as any);
    const { verification_token } = await sdk.authApi.verify({
      verification_id: v.verification_id!,
      verification_code: hook.codeFor(u.phone),
    });
    const { sudo_token } = await sdk.authApi.sudo({ verification_token });
    const newEmail = `sdk-new-${n}@example.com`;
    const sent = await sdk.authApi.getVerification({ email: newEmail, usage: 'EMAIL_ADDRESS_CHANGE' } as any);
    const proof = await sdk.authApi.verify({ verification_id: sent.verification_id!, verification_code: hook.codeFor(newEmail) });
    await sdk.authApi.editContact({ email: newEmail, sudo_token: sudo_token!, verification_token: proof.verification_token! });
    expect((await sdk.authApi.getUserInfo()).email).toBe(newEmail);
  });

  it('resetPassword with a code: every session ends at once, the lock is cleared', async () => {
    const u = await newUser();
    const signedIn = browser();
    await signedIn.sdk.authApi.signIn({ username: u.username, password: u.password });
    const older = signedIn.accessToken();
    for (let i = 0; i < 5; i++) await post(s.http, '/auth/v1/signin', { client_id: 'web', username: u.username, password: 'wrong!' });
    expect(await canSignIn(u.username, u.password)).toBe(false);

    const { sdk } = browser();
    const v = await sdk.authApi.getVerification({ phone_number: u.sdkPhone, usage: 'PASSWORD_RESET' } as any);
    const { verification_token } = await sdk.authApi.verify({
      verification_id: v.verification_id!,
      verification_code: hook.codeFor(u.phone),
    });
    await sdk.authApi.resetPassword({
      phone_number: u.sdkPhone,
      verification_token: verification_token!,
      new_password: 'sdk reset password',
    });
    expect((await me(older)).status).toBe(401);
    expect(await canSignIn(u.username, 'sdk reset password')).toBe(true);
  });

  it('a sign-in code does not reset a password', async () => {
    const u = await newUser();
    const { sdk } = browser();
    const v = await sdk.authApi.getVerification({ phone_number: u.sdkPhone });
    const { verification_token } = await sdk.authApi.verify({
      verification_id: v.verification_id!,
      verification_code: hook.codeFor(u.phone),
    });
    const err = await rejection(
      sdk.authApi.resetPassword({ phone_number: u.sdkPhone, verification_token: verification_token!, new_password: 'sdk reset password' }),
    );
    expect(err.error).toBe('invalid_grant');
  });

  it('modifyPassword (user/basic/edit, RSA) and modifyPasswordWithoutLogin (v2, RSA)', async () => {
    const u = await newUser({ phone: false });
    const { sdk } = browser();
    await sdk.authApi.signIn({ username: u.username, password: u.password });
    await sdk.authApi.modifyPassword({ user_id: u.id, password: u.password, new_password: 'sdk modified 1' } as any);
    expect(await canSignIn(u.username, 'sdk modified 1')).toBe(true);
    await browser().sdk.authApi.modifyPasswordWithoutLogin({
      username: u.username,
      password: 'sdk modified 1',
      new_password: 'sdk modified 2',
    } as any);
    expect(await canSignIn(u.username, 'sdk modified 2')).toBe(true);
    expect(await canSignIn(u.username, 'sdk modified 1')).toBe(false);
  });

  it('setUserProfile, updateUserBasicInfo and queryUserProfile', async () => {
    const u = await newUser();
    const other = await newUser();
    const { sdk } = browser();
    await sdk.authApi.signIn({ username: u.username, password: u.password });
    const p = await sdk.authApi.setUserProfile({ name: 'Zed', picture: 'https://img.example/z.png', gender: 'MALE', locale: 'en' });
    expect(p).toMatchObject({ name: 'Zed', picture: 'https://img.example/z.png', gender: 'MALE', locale: 'en' });
    await sdk.authApi.updateUserBasicInfo({ nickname: 'Zeta', gender: 'FEMALE' } as any);
    expect(await sdk.authApi.getUserInfo()).toMatchObject({ name: 'Zeta', gender: 'FEMALE' });
    const q = await sdk.authApi.queryUserProfile({ id: [u.id, other.id] as any });
    expect(q.total).toBe(2);
    const mine = q.data!.find((x: any) => x.sub === u.id) as any;
    const theirs = q.data!.find((x: any) => x.sub === other.id) as any;
    expect(mine.phone_number).toBe(u.phone);
    expect(theirs.phone_number ?? '').toBe('');
  });

  it('deleteMe: sign-in fails, the username is free for a new account', async () => {
    const u = await newUser({ phone: false });
    const { sdk, accessToken } = browser();
    await sdk.authApi.signIn({ username: u.username, password: u.password });
    const token = accessToken();
    const { sudo_token } = await sdk.authApi.sudo({ password: u.password });
    const deleted = await sdk.authApi.deleteMe({ sudo_token: sudo_token! });
    expect(deleted.sub).toBe(u.id);
    expect((await me(token)).status).toBe(401);
    expect(await canSignIn(u.username, u.password)).toBe(false);
    const again = await adminPost(s, '/admin/v1/users', { tenant_id: 'acme', username: u.username, password: 'a fresh password' });
    expect(again.status).toBe(200);
    expect(await canSignIn(u.username, 'a fresh password')).toBe(true);
  });
});
