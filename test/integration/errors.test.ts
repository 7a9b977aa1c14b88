// Every reason Signet can answer in this version, over both dialects, with the exact status
// mapping documented in the README.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPost, call, dropSchema, grpcFailure, post, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { messageFor, type MessageId } from '../../src/transport/messages.js';

interface Case {
  name: string;
  rpc: 'signIn' | 'token';
  path: string;
  body: Record<string, unknown>;
  reason: string;
  code: number;
  http: number;
  headers?: Record<string, string>;
  /** The catalogue variant the domain names, when not the reason's own entry. */
  message?: MessageId;
}

describe('error reasons (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let fx: Awaited<ReturnType<typeof seed>>;
  const cases: Case[] = [];
  const add = (c: Case) => cases.push(c);

  beforeAll(async () => {
    // Many failures from one IP here: the per-IP captcha threshold is tested in lockout.test.ts.
    s = await startTestSignet({ backend: 'postgres', env: { SIGNET_IP_FAILURES_CAPTCHA: '0' } });
    fx = await seed(s);
    const user = (extra: Record<string, unknown>) =>
      adminPost(s, '/admin/v1/users', { tenant_id: 'acme', password: 'pw-123456', ...extra });
    await user({ username: 'pending', status: 'pending' });
    await user({ username: 'blocked', status: 'blocked' });
    await user({ username: 'expired', expires_at: '2020-01-01T00:00:00Z' });
    await adminPost(s, '/admin/v1/tenants', { tenant_id: 'closed' });
    await adminPost(s, '/admin/v1/clients', { client_id: 'closed-web', tenant_id: 'closed', public: true });
    await adminPost(s, '/admin/v1/tenants/closed:disable', {});
    await adminPost(s, '/admin/v1/tenants', { tenant_id: 'quiet', policy: { hide_unknown_users: true } });
    await adminPost(s, '/admin/v1/clients', { client_id: 'quiet-web', tenant_id: 'quiet', public: true });
    await adminPost(s, '/admin/v1/clients', { client_id: 'no-user-scope', tenant_id: 'acme', public: true, scopes: ['openid'] });
    await adminPost(s, '/admin/v1/clients', { client_id: 'refresh-only', tenant_id: 'acme', public: true, grant_types: ['refresh_token'] });
  });
  afterAll(async () => {
    await s?.stop();
    await dropSchema(s?.schema);
  });

  const signIn = (name: string, body: Record<string, unknown>, reason: string, code: number, http: number, message?: MessageId) =>
    add({ name, rpc: 'signIn', path: '/auth/v1/signin', body: { client_id: 'web', ...body }, reason, code, http, message });
  const token = (name: string, body: Record<string, unknown>, reason: string, code: number, http: number) =>
    add({ name, rpc: 'token', path: '/auth/v1/token', body, reason, code, http });

  signIn('wrong password', { username: 'alice', password: 'nope' }, 'invalid_password', 16, 401);
  signIn('unknown user', { username: 'nobody', password: 'nope' }, 'not_found', 5, 404, 'not_found.user');
  signIn(
    'unknown user, anti-enumeration policy',
    { client_id: 'quiet-web', username: 'nobody', password: 'x' },
    'invalid_password',
    16,
    401,
  );
  signIn('pending user', { username: 'pending', password: 'pw-123456' }, 'user_pending', 9, 400);
  signIn('blocked user', { username: 'blocked', password: 'pw-123456' }, 'user_blocked', 7, 403);
  signIn('expired account', { username: 'expired', password: 'pw-123456' }, 'user_expired', 9, 400);
  signIn('disabled tenant', { client_id: 'closed-web', username: 'alice', password: 'x' }, 'tenant_disabled', 9, 400);
  signIn('client without the user scope', { client_id: 'no-user-scope', username: 'alice', password: 'x' }, 'permission_denied', 7, 403);
  signIn('client without the password grant', { client_id: 'refresh-only', username: 'alice', password: 'x' }, 'permission_denied', 7, 403);
  signIn('confidential client without its secret', { client_id: 'svc', username: 'alice', password: 'x' }, 'unauthorized_client', 16, 401);
  signIn('unknown client', { client_id: 'ghost', username: 'alice', password: 'x' }, 'invalid_client', 16, 401);
  signIn('missing password', { username: 'alice' }, 'invalid_argument', 3, 400);
  signIn('two identifiers', { username: 'alice', email: 'alice@example.com', password: 'x' }, 'invalid_argument', 3, 400);
  signIn('bad login_field', { username: 'alice', password: 'x', login_field: 'nickname' }, 'invalid_argument', 3, 400);
  token('unknown grant type', { client_id: 'web', grant_type: 'magic' }, 'unsupported_grant_type', 3, 400);
  token(
    'grant not allowed for the client',
    { client_id: 'refresh-only', grant_type: 'password', username: 'alice', password: 'x' },
    'permission_denied',
    7,
    403,
  );
  token(
    'public client asks for client_credentials',
    { client_id: 'web', grant_type: 'client_credentials' },
    'unauthorized_client',
    16,
    401,
  );
  token('unknown refresh token', { client_id: 'web', grant_type: 'refresh_token', refresh_token: 'forged' }, 'invalid_grant', 3, 400);

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const rest = await post(s.http, c.path, c.body, { 'accept-language': 'en', ...c.headers });
    expect(rest.status).toBe(c.http);
    const remaining = rest.body.details[0].metadata.limit_remaining;
    const message = messageFor(c.reason as never, 'en', remaining === undefined ? undefined : [remaining], c.message);
    expect(rest.body).toMatchObject({ code: c.code, error: c.reason, error_code: c.code });
    expect(rest.body.details[0]).toMatchObject({
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: c.reason,
      domain: 'signet.auth.v1',
    });
    if (c.reason !== 'invalid_argument') {
      expect(rest.body.message).toBe(message);
      expect(rest.body.error_description).toBe(message);
    }
    const g = await grpcFailure(call(c.rpc === 'signIn' ? s.grpc : s.grpc, c.rpc, c.body, { 'accept-language': 'en' }));
    expect(g.code).toBe(c.code);
    expect(g.reason).toBe(c.reason);
    if (remaining === undefined) expect(g.message).toBe(rest.body.message);
    else expect(g.message).toBe(messageFor(c.reason as never, 'en', [Number(remaining) - 1]));
  });

  it('stops the access tokens of a client as soon as it is disabled', async () => {
    await adminPost(s, '/admin/v1/clients', { client_id: 'doomed', tenant_id: 'acme', public: true });
    const t = await post(s.http, '/auth/v1/signin?client_id=doomed', { username: 'alice', password: fx.password });
    expect(t.status).toBe(200);
    const me = () => fetch(`${s.http}/auth/v1/user/me`, { headers: { authorization: `Bearer ${t.body.access_token}` } });
    expect((await me()).status).toBe(200);
    expect((await adminPost(s, '/admin/v1/clients/doomed:disable', {})).status).toBe(200);
    expect((await me()).status).toBe(401);
  });

  it('needs the secret of a confidential client and checks scopes', async () => {
    const wrong = await post(s.http, '/auth/v1/token', {
      client_id: 'svc',
      client_secret: 'x'.repeat(43),
      grant_type: 'client_credentials',
    });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'unauthorized_client' } });
    const none = await post(s.http, '/auth/v1/token', { client_id: 'svc', grant_type: 'client_credentials' });
    expect(none).toMatchObject({ status: 401, body: { error: 'unauthorized_client' } });
    const scope = await post(s.http, '/auth/v1/token', {
      client_id: 'svc',
      client_secret: fx.secret,
      grant_type: 'client_credentials',
      scope: 'admin',
    });
    expect(scope).toMatchObject({ status: 400, body: { error: 'invalid_scope', code: 3 } });
  });

  it('rejects unknown fields and malformed JSON with invalid_argument naming the field', async () => {
    const r = await post(s.http, '/auth/v1/signin?client_id=web', { username: 'alice', password: 'x', pasword: 'typo' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_argument');
    const bad = r.body.details.find((d: { '@type': string }) => d['@type'] === 'type.googleapis.com/google.rpc.BadRequest');
    expect(bad.field_violations[0].field).toBe('pasword');
    const junk = await post(s.http, '/auth/v1/signin?client_id=web', '{"username":');
    expect(junk).toMatchObject({ status: 400, body: { error: 'invalid_argument' } });
  });

  it('carries BadRequest field violations over gRPC too', async () => {
    const g = await grpcFailure(call(s.grpc, 'signIn', { client_id: 'web', username: 'alice' }));
    const bad = g.status.details.find((d) => d.type_url.endsWith('google.rpc.BadRequest'));
    expect(bad).toBeDefined();
  });

  it('speaks Chinese by default and English on request', async () => {
    const zh = await post(s.http, '/auth/v1/signin?client_id=web', { username: 'nobody-zh', password: 'nope' });
    expect(zh.body.error_description).toBe(messageFor('not_found', 'zh-CN', undefined, 'not_found.user'));
    const en = await post(
      s.http,
      '/auth/v1/signin?client_id=web',
      { username: 'nobody-en', password: 'nope' },
      { 'accept-language': 'en-US,en;q=0.9' },
    );
    expect(en.body.error_description).toBe(messageFor('not_found', 'en', undefined, 'not_found.user'));
    expect(zh.body.error_description).not.toBe(en.body.error_description);
  });
  it('answers a control character in any identifier with invalid_argument naming the field, on every route and dialect', async () => {
    const violation = (r: { body: { details?: Array<{ '@type': string; field_violations?: Array<{ field: string }> }> } }) =>
      r.body.details?.find((d) => d['@type'].endsWith('google.rpc.BadRequest'))?.field_violations?.[0].field;
    const routes: Array<[string, unknown, string]> = [
      ['/auth/v1/signin?client_id=%00', { username: 'alice', password: 'x' }, 'client_id'],
      ['/auth/v1/signin?client_id=web', { username: 'ali\u0000ce', password: 'x' }, 'username'],
      ['/auth/v1/signin?client_id=web', { username: 'alice', password: 'x', device_id: 'd\u0007' }, 'device_id'],
      ['/auth/v1/revoke?client_id=%00', { token: 'x' }, 'client_id'],
      ['/auth/v1/token', { client_id: 'web', grant_type: 'refresh_token', refresh_token: 'a\u0000b' }, 'refresh_token'],
      ['/auth/v2/signin/username?client_id=%00', { params: 'AAAA' }, 'client_id'],
      ['/auth/v1/verification?client_id=web', { phone_number: '+86138\u00000000000' }, 'phone_number'],
    ];
    for (const [path, body, field] of routes) {
      const r = await post(s.http, path, body);
      expect(r.status, path).toBe(400);
      expect(r.body.error, path).toBe('invalid_argument');
      expect(violation(r), path).toBe(field);
    }
    const g = await grpcFailure(call(s.grpc, 'signIn', { client_id: 'we\u0000b', username: 'alice', password: 'x' }));
    expect(g.code).toBe(3);
    const admin = await adminPost(s, '/admin/v1/tenants', { tenant_id: 'nul\u0000tenant' });
    expect(admin.status).toBe(400);
    expect(violation(admin)).toBe('tenant_id');
  });
});
