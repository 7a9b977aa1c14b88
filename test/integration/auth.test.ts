// AuthService end to end over real gRPC (the generated client) and real HTTP, on PostgreSQL +
// Redis and on the embedded default.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  BACKENDS,
  adminPost,
  call,
  dropSchema,
  get,
  grpcFailure,
  post,
  seed,
  startTestSignet,
  type TestSignet,
} from '../helpers/signet.js';
import type { TokenResponse } from '../../src/gen/signet/auth/v1/token.js';

const TOKEN_KEYS = [
  'access_token',
  'expires_in',
  'groups',
  'id_token',
  'need_weda_resource',
  'refresh_token',
  'scope',
  'sub',
  'token_type',
];

describe.each(BACKENDS)('AuthService on %s', (backend) => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  const signin = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    post(s.http, '/auth/v1/signin?client_id=web', body, headers);
  const refresh = (refresh_token: string) =>
    post(s.http, '/auth/v1/token', { client_id: 'web', client_secret: '', grant_type: 'refresh_token', refresh_token });

  beforeAll(async () => {
    s = await startTestSignet({ backend });
    fx = await seed(s);
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  it('signs in over REST the way the CloudBase SDK does, with the documented token body', async () => {
    const r = await signin({ username: 'alice', password: fx.password }, { 'x-device-id': 'd'.repeat(32) });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(TOKEN_KEYS);
    expect(r.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 7200,
      scope: 'openid user',
      sub: fx.userId,
      groups: ['admins'],
      need_weda_resource: false,
    });
    expect(r.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const jwks = createLocalJWKSet((await get(s.http, '/.well-known/jwks.json')).body);
    const { payload, protectedHeader } = await jwtVerify(r.body.access_token, jwks, { issuer: 'http://signet.test', audience: 'web' });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: fx.userId, client_id: 'web', scope: 'openid user', groups: ['admins'] });
    for (const claim of ['sid', 'exp', 'iat', 'jti']) expect(payload[claim]).toBeDefined();
    const id = await jwtVerify(r.body.id_token, jwks, { issuer: 'http://signet.test', audience: 'web' });
    expect(id.payload).toMatchObject({
      sub: fx.userId,
      email: 'alice@example.com',
      phone_number: '+8613800000000',
      preferred_username: 'alice',
      amr: ['pwd'],
      // OIDC Core 3.1.3.6 for ES256: the left half of the access token's SHA-256.
      at_hash: createHash('sha256').update(r.body.access_token).digest().subarray(0, 16).toString('base64url'),
    });
  });

  it('signs in over gRPC with the same answer shape', async () => {
    const res = await call<object, TokenResponse>(s.grpc, 'signIn', { client_id: 'web', username: 'alice', password: fx.password });
    expect(res).toMatchObject({ token_type: 'Bearer', expires_in: 7200, sub: fx.userId, groups: ['admins'] });
    expect(res.refresh_token).not.toBe('');
  });

  it('detects the identifier: email, phone in any form, username in any case', async () => {
    for (const body of [
      { username: 'ALICE@example.com', password: fx.password },
      { email: 'alice@example.com', password: fx.password },
      { phone_number: '+86 13800000000', password: fx.password },
      { username: '13800000000', password: fx.password },
      { username: 'Alice', password: fx.password, login_field: 'username' },
    ]) {
      const r = await signin(body);
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(r.body.sub).toBe(fx.userId);
    }
  });

  it('returns the profile for the bearer token and 401 without one', async () => {
    const t = (await signin({ username: 'alice', password: fx.password })).body;
    const me = await get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${t.access_token}` });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      sub: fx.userId,
      name: 'Alice',
      username: 'alice',
      email: 'alice@example.com',
      email_verified: false,
      phone_number: '+8613800000000',
      phone_number_verified: false,
      groups: [{ id: 'admins' }],
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      user_type: 'P',
      tenant_id: 'acme',
      status: 'active',
      picture: '',
      gender: '',
      locale: '',
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      is_anonymous: false,
      has_password: true,
    });
    const grpcMe = await call<object, any>(s.grpc, 'getUserInfo', {}, { authorization: `Bearer ${t.access_token}` });
    expect(grpcMe.sub).toBe(fx.userId);
    for (const auth of [undefined, 'Bearer nope', `Bearer ${t.access_token.slice(0, -4)}AAAA`]) {
      const r = await get(
        s.http,
        '/auth/v1/user/me',
        auth ? { authorization: auth, 'accept-language': 'en' } : { 'accept-language': 'en' },
      );
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({
        error: 'unauthenticated',
        error_code: 16,
        code: 16,
        error_description: 'the oauth2.0 access token is not correct or expired',
      });
      expect(r.body.details[0]).toMatchObject({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'unauthenticated' });
    }
  });

  it('issues client_credentials tokens over both dialects, without refresh or id token', async () => {
    const body = { grant_type: 'client_credentials', client_id: 'svc', client_secret: fx.secret, scope: 'orders.read' };
    const r = await post(s.http, '/auth/v1/token', body);
    expect(r.status).toBe(200);
    // No refresh or id token: the fields are absent, not empty (RFC 6749 5.1 clients refuse "").
    expect(r.body).not.toHaveProperty('refresh_token');
    expect(r.body).not.toHaveProperty('id_token');
    expect(r.body).toMatchObject({
      token_type: 'Bearer',
      sub: 'svc',
      scope: 'orders.read',
      expires_in: 7200,
    });
    const basic = `Basic ${Buffer.from(`svc:${fx.secret}`).toString('base64')}`;
    const g = await call<object, TokenResponse>(s.grpc, 'token', { grant_type: 'client_credentials' }, { authorization: basic });
    expect(g.sub).toBe('svc');
    expect(g.scope).toBe('openid user orders.read');
  });

  it('grants password tokens to a confidential client authenticated with HTTP Basic', async () => {
    const basic = `Basic ${Buffer.from(`svc:${fx.secret}`).toString('base64')}`;
    const r = await post(
      s.http,
      '/auth/v1/token',
      { grant_type: 'password', username: 'alice', password: fx.password },
      { authorization: basic },
    );
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).not.toBe('');
  });

  it('rotates refresh tokens on every use (replay is covered in refresh.test.ts)', async () => {
    const first = (await signin({ username: 'alice', password: fx.password })).body;
    const second = await refresh(first.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect(Object.keys(second.body).sort()).toEqual(TOKEN_KEYS);
    const third = await refresh(second.body.refresh_token);
    expect(third.status).toBe(200);
  });

  it('answers concurrent refreshes of one token with one and the same new pair', async () => {
    const t = (await signin({ username: 'alice', password: fx.password })).body;
    const answers = await Promise.all(Array.from({ length: 12 }, () => refresh(t.refresh_token)));
    for (const a of answers) expect(a.status).toBe(200);
    expect(new Set(answers.map((a) => a.body.refresh_token)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.access_token)).size).toBe(1);
    expect((await refresh(answers[0].body.refresh_token)).status).toBe(200);
  });

  it('revokes (RFC 7009) an access token, which ends its session; unknown tokens answer the same', async () => {
    const t = (await signin({ username: 'alice', password: fx.password })).body;
    const r = await post(s.http, '/auth/v1/revoke', { token: t.access_token });
    expect(r).toMatchObject({ status: 200, body: {} });
    expect((await get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${t.access_token}` })).status).toBe(401);
    expect((await refresh(t.refresh_token)).body.error).toBe('invalid_grant');
    expect(await post(s.http, '/auth/v1/revoke', { token: 'never-issued' })).toMatchObject({ status: 200, body: {} });
    const t2 = (await signin({ username: 'alice', password: fx.password })).body;
    await call(s.grpc, 'revoke', { token: t2.refresh_token, token_type_hint: 'refresh_token' });
    expect((await get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${t2.access_token}` })).status).toBe(401);
  });

  it('signs out the bearer session', async () => {
    const t = (await signin({ username: 'alice', password: fx.password })).body;
    const auth = { authorization: `Bearer ${t.access_token}` };
    expect(await post(s.http, '/auth/v1/user/signout', {}, auth)).toMatchObject({ status: 200, body: {} });
    expect((await get(s.http, '/auth/v1/user/me', auth)).status).toBe(401);
    expect((await refresh(t.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('replaces the session of the same device and evicts the oldest past max sessions', async () => {
    const dev = (d: string) => ({ 'x-device-id': d.repeat(32) });
    const a1 = (await signin({ username: 'alice', password: fx.password }, dev('a'))).body;
    const a2 = (await signin({ username: 'alice', password: fx.password }, dev('a'))).body;
    expect((await refresh(a1.refresh_token)).body.error).toBe('invalid_grant');
    expect((await get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${a1.access_token}` })).status).toBe(401);
    // web allows 3 sessions: a2 is the oldest once three more devices sign in.
    for (const d of ['b', 'c', 'e']) expect((await signin({ username: 'alice', password: fx.password }, dev(d))).status).toBe(200);
    expect((await refresh(a2.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('upgrades an imported bcrypt hash to argon2id at the first sign-in', async () => {
    const bcrypt = (await import('bcryptjs')).default;
    const u = await adminPost(s, '/admin/v1/users', {
      tenant_id: 'acme',
      username: 'legacy',
      password_hash: bcrypt.hashSync('old-secret', 4),
    });
    expect(u.status).toBe(200);
    expect((await signin({ username: 'legacy', password: 'wrong' })).body.error).toBe('invalid_password');
    expect((await signin({ username: 'legacy', password: 'old-secret' })).status).toBe(200);
    const stored = await s.running.deps.storage.users.get(u.body.user_id);
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect((await signin({ username: 'legacy', password: 'old-secret' })).status).toBe(200);
  });

  it('keeps tokens signed before a key rotation verifiable through the JWKS', async () => {
    const before = (await signin({ username: 'alice', password: fx.password })).body;
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    const rotated = await adminPost(s, '/admin/v1/keys:rotate', {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.kid).not.toBe(oldKid);
    const after = (await signin({ username: 'alice', password: fx.password })).body;
    expect(decodeProtectedHeader(after.access_token).kid).toBe(rotated.body.kid);
    const jwks = (await get(s.http, '/.well-known/jwks.json')).body;
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual(expect.arrayContaining([oldKid, rotated.body.kid]));
    const set = createLocalJWKSet(jwks);
    await jwtVerify(before.access_token, set, { issuer: 'http://signet.test' });
    await jwtVerify(after.access_token, set, { issuer: 'http://signet.test' });
    expect((await get(s.http, '/auth/v1/user/me', { authorization: `Bearer ${before.access_token}` })).status).toBe(200);
    const keys = await adminPost(s, '/admin/v1/keys', undefined, 'GET');
    expect(keys.body.keys.map((k: { status: string }) => k.status).sort()).toEqual(['active', 'retired']);
  });

  it('publishes OpenID discovery', async () => {
    const r = await get(s.http, '/.well-known/openid-configuration');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      issuer: 'http://signet.test',
      jwks_uri: 'http://signet.test/.well-known/jwks.json',
      token_endpoint: 'http://signet.test/auth/v1/token',
      grant_types_supported: [
        'password',
        'refresh_token',
        'client_credentials',
        'sms',
        'authorization_code',
        'urn:ietf:params:oauth:grant-type:token-exchange',
        'urn:ietf:params:oauth:grant-type:device_code',
      ],
      device_authorization_endpoint: 'http://signet.test/auth/v1/device/code',
    });
  });

  it('refuses admin calls without the admin token', async () => {
    const r = await fetch(`${s.admin}/admin/v1/tenants`);
    expect(r.status).toBe(401);
    expect((await grpcFailure(call(s.adminGrpc, 'listTenants', {}))).reason).toBe('unauthenticated');
  });
});
