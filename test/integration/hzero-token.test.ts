// HZERO's token endpoint (POST /oauth/oauth/token) on PostgreSQL + Redis: form or query
// parameters, HZERO's answer shapes and catalogue keys, its lockout counters, its one-step
// captcha, and users imported with HZERO's bcrypt hashes.
import { constants, publicEncrypt } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPost, dropSchema, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { postForm, withQuery } from '../helpers/hzero.js';
import { HZERO_CAPTCHA_STATE, svgToPng } from '../../src/transport/http/hzero/captcha.js';
import { createCaptchaWithImage } from '../../src/domain/defence/captcha.js';
import type { Deps } from '../../src/domain/deps.js';
import type { RenderedCaptcha } from '../../src/domain/defence/captcha.js';

const createCaptchaImage = (deps: Deps, render?: () => RenderedCaptcha) =>
  createCaptchaWithImage(deps, { ip: '', state: HZERO_CAPTCHA_STATE }, svgToPng, render);

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const REFRESH = /^[\w-]{43}$/;

describe('HZERO /oauth/oauth/token (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  const token = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    postForm(s, '/oauth/oauth/token', params, headers);
  const newUser = async (tenant: string, username: string, extra: Record<string, unknown> = {}) => {
    const u = await adminPost(s, '/admin/v1/users', { tenant_id: tenant, username, password: 'right-password', ...extra });
    expect(u.status, JSON.stringify(u.body)).toBe(200);
    return u.body.user_id as string;
  };

  beforeAll(async () => {
    // All requests come from 127.0.0.1: the per-IP thresholds would mix the tests up.
    s = await startTestSignet({ backend: 'postgres', env: { SIGNET_IP_FAILURES_CAPTCHA: '0', SIGNET_IP_FAILURES_BLOCK: '0' } });
    fx = await seed(s);
    await adminPost(s, '/admin/v1/tenants', { tenant_id: 'nocap', policy: { captcha_after_failures: 0 } });
    await adminPost(s, '/admin/v1/clients', { client_id: 'nocap-web', tenant_id: 'nocap', public: true });
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it("signs in with a form body and answers Spring OAuth's token shape", async () => {
    const r = await token({ grant_type: 'password', client_id: 'web', username: 'alice', password: fx.password });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      access_token: expect.stringMatching(JWT),
      token_type: 'bearer',
      refresh_token: expect.stringMatching(REFRESH),
      expires_in: 7200,
      scope: 'openid user',
    });
    expect(r.headers.get('content-type')).toBe('application/json');
  });

  it('reads the query string, HTTP Basic, and never a JSON body', async () => {
    const q = await withQuery(
      s,
      'POST',
      '/oauth/oauth/token',
      { grant_type: 'password', username: 'alice', password: fx.password },
      {
        authorization: `Basic ${Buffer.from(`svc:${fx.secret}`).toString('base64')}`,
      },
    );
    expect(q.status).toBe(200);
    expect(Object.keys(q.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    const json = await post(
      s.http,
      '/oauth/oauth/token',
      { grant_type: 'password', client_id: 'web', username: 'alice', password: fx.password },
      {
        'content-type': 'application/json',
      },
    );
    expect(json.status).toBe(400);
    expect(json.body).toEqual({
      error: 'invalid_request',
      error_description: 'invalid_argument',
      success: false,
      code: 'invalid_argument',
      message: '请求参数不正确',
    });
  });

  it('answers an oversized form body as the server does any: 413, connection closed', async () => {
    const r = await token({ grant_type: 'password', client_id: 'web', username: 'alice', password: 'x'.repeat(70_000) });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ error: 'resource_exhausted', code: 8 });
    expect(r.headers.get('connection')).toBe('close');
  });

  it('refreshes and issues client credentials tokens (no refresh_token then)', async () => {
    const first = await token({ grant_type: 'password', client_id: 'web', username: 'alice', password: fx.password });
    const r = await token({ grant_type: 'refresh_token', client_id: 'web', refresh_token: first.body.refresh_token });
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).not.toBe(first.body.refresh_token);
    const replay = await token({ grant_type: 'refresh_token', client_id: 'web', refresh_token: 'forged' });
    expect(replay).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'invalid_grant', success: false, code: 'invalid_grant' },
    });
    const cc = await token({ grant_type: 'client_credentials', client_id: 'svc', client_secret: fx.secret, scope: 'orders.read' });
    expect(cc.status).toBe(200);
    expect(cc.body).toEqual({ access_token: expect.stringMatching(JWT), token_type: 'bearer', expires_in: 7200, scope: 'orders.read' });
  });

  it('answers a wrong password with errorTimes and surplusTimes, in zh by default and in the lang asked', async () => {
    await newUser('nocap', 'counted');
    const zh = await token({ grant_type: 'password', client_id: 'nocap-web', username: 'counted', password: 'wrong' });
    expect(zh.status).toBe(401);
    expect(zh.body).toEqual({
      error: 'unauthorized',
      error_description: 'hoth.warn.passwordError',
      success: false,
      code: 'hoth.warn.passwordError',
      errorTimes: '1',
      surplusTimes: '4',
      message: '您输入的账号或密码错误，还可以尝试4次',
    });
    const en = await token({ grant_type: 'password', client_id: 'nocap-web', username: 'counted', password: 'wrong', lang: 'en_US' });
    expect(en.body).toMatchObject({ errorTimes: '2', surplusTimes: '3', message: 'Account or password is wrong, 3 attempts left.' });
    // Accept-Language when there is no lang parameter.
    const header = await token(
      { grant_type: 'password', client_id: 'nocap-web', username: 'counted', password: 'wrong' },
      { 'accept-language': 'en' },
    );
    expect(header.body.message).toBe('Account or password is wrong, 2 attempts left.');
  });

  it('counts to the lock (loginErrorMaxTimes) and then refuses as accountLocked, even the right password', async () => {
    await newUser('nocap', 'lockme');
    const answers = [];
    for (let i = 0; i < 5; i++)
      answers.push(await token({ grant_type: 'password', client_id: 'nocap-web', username: 'lockme', password: 'wrong' }));
    expect(answers.slice(0, 4).map((r) => [r.status, r.body.errorTimes, r.body.surplusTimes])).toEqual([
      [401, '1', '4'],
      [401, '2', '3'],
      [401, '3', '2'],
      [401, '4', '1'],
    ]);
    expect(answers[4].status).toBe(401);
    expect(answers[4].body).toEqual({
      error: 'unauthorized',
      error_description: 'hoth.warn.loginErrorMaxTimes',
      success: false,
      code: 'hoth.warn.loginErrorMaxTimes',
      message: '密码错误次数超过限制，您的账户已锁定！请通过找回密码解锁，或联系平台运维中心！',
    });
    expect(answers[4].headers.get('retry-after')).toBe('900');
    const later = await token({ grant_type: 'password', client_id: 'nocap-web', username: 'lockme', password: 'right-password' });
    expect(later.status).toBe(401);
    expect(later.body).toEqual({
      error: 'unauthorized',
      error_description: 'hoth.warn.accountLocked',
      success: false,
      code: 'hoth.warn.accountLocked',
      message: '您的账户已锁定，请通过找回密码解锁，或联系平台运维中心',
    });
  });

  it('names unknown accounts, clients and grant types with their catalogue keys', async () => {
    const unknown = await token({ grant_type: 'password', client_id: 'web', username: 'nobody', password: 'x', lang: 'en_US' });
    expect(unknown).toMatchObject({ status: 401, body: { code: 'hoth.warn.usernameNotFound', message: 'The account does not exist.' } });
    const client = await token({ grant_type: 'password', client_id: 'ghost', username: 'alice', password: 'x' });
    expect(client).toMatchObject({
      status: 401,
      body: { error: 'invalid_client', code: 'hoth.warn.clientNotFound', message: '未找到客户端！' },
    });
    const grant = await token({ grant_type: 'implicit', client_id: 'web' });
    expect(grant).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type', code: 'unsupported_grant_type' } });
    const none = await token({ client_id: 'web' });
    expect(none).toMatchObject({ status: 400, body: { error: 'invalid_request', success: false } });
  });

  it("asks for the captcha after three failures and takes HZERO's captchaKey + captcha in one step", async () => {
    await newUser('acme', 'captcha-me');
    for (let i = 0; i < 3; i++) await token({ grant_type: 'password', client_id: 'web', username: 'captcha-me', password: 'wrong' });
    const ask = { grant_type: 'password', client_id: 'web', username: 'captcha-me', password: 'right-password' };
    expect((await token(ask)).body).toEqual({
      error: 'unauthorized',
      error_description: 'hoth.warn.captchaNull',
      success: false,
      code: 'hoth.warn.captchaNull',
      message: '请输入验证码',
    });
    const known = (text: string) => () => ({ text, svg: '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"/>' });
    const wrongKey = await createCaptchaImage(s.running.deps, known('abcd'));
    const wrong = await token({ ...ask, captchaKey: wrongKey, captcha: 'abce' });
    expect(wrong.body).toMatchObject({ code: 'hoth.warn.captchaWrong', message: '您输入的验证码有误' });
    // One answer per challenge: a wrong one burns it, so even the right one fails after it.
    expect((await token({ ...ask, captchaKey: wrongKey, captcha: 'abcd' })).body.code).toBe('hoth.warn.captchaWrong');
    const key = await createCaptchaImage(s.running.deps, known('KmPq'));
    // Fetching the picture neither spends nor changes the challenge.
    expect((await fetch(`${s.http}/oauth/public/captcha/${key}`)).status).toBe(200);
    const ok = await token({ ...ask, captchaKey: key, captcha: 'kmpq' });
    expect(ok.status).toBe(200);
  });

  it('signs in users imported with HZERO bcrypt hashes ($2a$, cost 10) and upgrades them to argon2id', async () => {
    const hash = bcrypt.hashSync('hzero-password', 10).replace(/^\$2b\$/, '$2a$');
    expect(hash).toMatch(/^\$2a\$10\$/);
    const id = await newUser('acme', 'imported', { password: undefined, password_hash: hash });
    expect((await s.running.deps.storage.users.get(id))!.passwordHash).toBe(hash);
    const r = await token({ grant_type: 'password', client_id: 'web', username: 'imported', password: 'hzero-password' });
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('bearer');
    const upgraded = (await s.running.deps.storage.users.get(id))!.passwordHash!;
    expect(upgraded).toMatch(/^\$argon2id\$/);
    // The new hash keeps working.
    expect((await token({ grant_type: 'password', client_id: 'web', username: 'imported', password: 'hzero-password' })).status).toBe(200);
  });

  it("takes the RSA-encrypted password HZERO front ends send (PKCS#1 v1.5, base64), by the client's setting", async () => {
    const c = await adminPost(s, '/admin/v1/clients', {
      client_id: 'rsa-web',
      tenant_id: 'acme',
      public: true,
      password_encryption: 'required',
    });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    const key = (await fetch(`${s.http}/auth/v1/public-key`).then((r) => r.json())).public_key as string;
    const encrypted = publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(fx.password)).toString('base64');
    const ok = await token({ grant_type: 'password', client_id: 'rsa-web', username: 'alice', password: encrypted });
    expect(ok.status).toBe(200);
    const plain = await token({ grant_type: 'password', client_id: 'rsa-web', username: 'alice', password: fx.password });
    expect(plain.body).toMatchObject({ error: 'invalid_request', code: 'hoth.warn.decodePasswordError', message: '解码密码错误' });
  });

  it('binds app sign-ins to a device', async () => {
    const r = await token({ grant_type: 'password', client_id: 'web', username: 'alice', password: fx.password, source_type: 'app' });
    expect(r).toMatchObject({ status: 400, body: { error: 'invalid_request', code: 'invalid_argument' } });
    const ok = await token({
      grant_type: 'password',
      client_id: 'web',
      username: 'alice',
      password: fx.password,
      source_type: 'app',
      device_id: 'phone-1',
    });
    expect(ok.status).toBe(200);
  });
});
