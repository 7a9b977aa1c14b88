import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, post, startHarness, type Harness } from './http-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => {
  h.calls.length = 0;
  for (const k of Object.keys(h.answers)) delete h.answers[k];
});

const last = () => h.calls[h.calls.length - 1];

describe('routing from the google.api.http annotations', () => {
  // Every annotated RPC of both services, with what the request must look like.
  const routes: Array<[string, string, string, Record<string, unknown>]> = [
    ['POST', '/auth/v1/signin', 'SignIn', {}],
    ['POST', '/auth/v1/token', 'Token', {}],
    ['GET', '/auth/v1/user/me', 'GetUserInfo', {}],
    ['POST', '/auth/v1/revoke', 'Revoke', {}],
    ['POST', '/auth/v1/introspect', 'Introspect', {}],
    ['POST', '/auth/v1/user/signout', 'SignOut', {}],
    ['GET', '/.well-known/jwks.json', 'GetJwks', {}],
    ['GET', '/.well-known/openid-configuration', 'GetOpenIdConfiguration', {}],
    ['POST', '/admin/v1/tenants', 'CreateTenant', {}],
    ['GET', '/admin/v1/tenants/t-1', 'GetTenant', { tenant_id: 't-1' }],
    ['GET', '/admin/v1/tenants', 'ListTenants', {}],
    ['PATCH', '/admin/v1/tenants/t-1', 'UpdateTenant', { tenant_id: 't-1' }],
    ['POST', '/admin/v1/tenants/t-1:disable', 'DisableTenant', { tenant_id: 't-1' }],
    ['POST', '/admin/v1/clients', 'CreateClient', {}],
    ['GET', '/admin/v1/clients/c-1', 'GetClient', { client_id: 'c-1' }],
    ['GET', '/admin/v1/clients', 'ListClients', {}],
    ['PATCH', '/admin/v1/clients/c-1', 'UpdateClient', { client_id: 'c-1' }],
    ['POST', '/admin/v1/clients/c-1:disable', 'DisableClient', { client_id: 'c-1' }],
    ['POST', '/admin/v1/users', 'CreateUser', {}],
    ['GET', '/admin/v1/users/u-1', 'GetUser', { user_id: 'u-1' }],
    ['GET', '/admin/v1/users', 'ListUsers', {}],
    ['PATCH', '/admin/v1/users/u-1', 'UpdateUser', { user_id: 'u-1' }],
    ['POST', '/admin/v1/users/u-1:disable', 'DisableUser', { user_id: 'u-1' }],
    ['GET', '/admin/v1/keys', 'ListSigningKeys', {}],
    ['POST', '/admin/v1/keys:rotate', 'RotateSigningKey', {}],
  ];
  it.each(routes)('%s %s → %s', async (method, path, rpc, expected) => {
    const r = await call(h, method, path, method === 'GET' ? {} : { body: '{}' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(h.calls).toHaveLength(1);
    expect(last().rpc).toBe(rpc);
    expect(last().req).toMatchObject(expected);
  });

  it('decodes percent-encoded path variables and keeps colons that are not the verb', async () => {
    await call(h, 'GET', '/admin/v1/users/a%20b%2Fc');
    expect(last()).toMatchObject({ rpc: 'GetUser', req: { user_id: 'a b/c' } });
    await call(h, 'GET', '/admin/v1/tenants/a:b');
    expect(last()).toMatchObject({ rpc: 'GetTenant', req: { tenant_id: 'a:b' } });
    await call(h, 'POST', '/admin/v1/tenants/a:b:disable', { body: '' });
    expect(last()).toMatchObject({ rpc: 'DisableTenant', req: { tenant_id: 'a:b' } });
  });

  it('does not match a bare verb or an unknown verb', async () => {
    expect((await call(h, 'POST', '/admin/v1/tenants/:disable', { body: '{}' })).status).toBe(405);
    const r = await call(h, 'POST', '/admin/v1/tenants/t1:enable', { body: '{}' });
    // GET and PATCH /admin/v1/tenants/{tenant_id} would take "t1:enable" as the id.
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, PATCH');
    expect(h.calls).toHaveLength(0);
  });

  it('lets the path win over the body', async () => {
    await call(h, 'PATCH', '/admin/v1/tenants/t1', { body: JSON.stringify({ tenant_id: 'other', name: 'N' }) });
    expect(last().req).toEqual({ tenant_id: 't1', name: 'N', status: undefined, policy: undefined });
  });
});

describe('query parameters', () => {
  it('fills fields by either spelling, converting types', async () => {
    await call(h, 'GET', '/admin/v1/tenants?page_size=10&pageToken=abc');
    expect(last().req).toEqual({ page_size: 10, page_token: 'abc' });
    await call(h, 'GET', '/admin/v1/users?tenantId=t%201&pageSize=5');
    expect(last().req).toEqual({ page_size: 5, page_token: '', tenant_id: 't 1' });
    await call(h, 'GET', '/admin/v1/users?tenant_id=a+b');
    expect(last().req.tenant_id).toBe('a b');
  });

  it('ignores unknown parameters, as grpc-gateway does', async () => {
    const r = await call(h, 'GET', '/admin/v1/clients?foo=1&__proto__.x=2&constructor=3&tenant_id=t');
    expect(r.status).toBe(200);
    expect(last().req).toEqual({ page_size: 0, page_token: '', tenant_id: 't' });
    expect(({} as any).x).toBeUndefined();
  });

  it('rejects a value of the wrong type, naming the field', async () => {
    const r = await call(h, 'GET', '/admin/v1/tenants?page_size=ten', { headers: { 'accept-language': 'en' } });
    expect(r.status).toBe(400);
    expect(r.json.details[1]).toEqual({
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      field_violations: [{ field: 'page_size', description: 'expected an integer' }],
    });
    expect((await call(h, 'GET', '/admin/v1/tenants?page_size=1&page_size=2')).status).toBe(400);
  });

  it('reads repeated keys as a list and dotted keys as nested fields, alongside a body', async () => {
    await post(h, '/admin/v1/clients?grant_types=password&grant_types=refresh_token&name=q', { name: 'body' });
    expect(last().req).toMatchObject({ grant_types: ['password', 'refresh_token'], name: 'body' });
    await post(h, '/admin/v1/tenants?policy.hide_unknown_users=true&tenant_id=q', { policy: {}, name: 'n' });
    expect(last().req).toEqual({ tenant_id: 'q', name: 'n', policy: { hide_unknown_users: true } });
    await post(h, '/admin/v1/tenants?policy.hideUnknownUsers=1', { policy: { hide_unknown_users: false } });
    expect(last().req.policy).toEqual({ hide_unknown_users: false });
  });
});

describe('bodies', () => {
  it('parses JSON sent as text/plain, with client_id from the query string (the same in both is fine, two are refused)', async () => {
    await post(h, '/auth/v1/signin?client_id=from-query', { username: 'alice', password: 'pw' });
    expect(last().req).toMatchObject({ username: 'alice', password: 'pw', client_id: 'from-query' });
    await post(h, '/auth/v1/signin?client_id=same', { username: 'alice', clientId: 'same' });
    expect(last().req.client_id).toBe('same');
    const two = await post(h, '/auth/v1/signin?client_id=from-query', { username: 'alice', clientId: 'from-body' });
    expect(two.status).toBe(400);
    expect(last().req.username).toBe('alice');
  });

  it('parses JSON whatever the content type, and without one; an empty body is {}', async () => {
    await call(h, 'POST', '/auth/v1/signin', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"username":"u","password":"p"}',
    });
    expect(last().req).toMatchObject({ username: 'u', password: 'p' });
    // The token endpoint reads a form as a form (RFC 6749): this one names no known parameter.
    await call(h, 'POST', '/auth/v1/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"grant_type":"refresh_token","refresh_token":"r"}',
    });
    expect(last().req).toMatchObject({ grant_type: '', refresh_token: '' });
    await call(h, 'POST', '/auth/v1/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: 'grant_type=refresh_token&refresh_token=r%2B1',
    });
    expect(last().req).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'r+1' });
    await call(h, 'POST', '/auth/v1/token', { body: '\ufeff{"grant_type":"password"}' });
    expect(last().req.grant_type).toBe('password');
    const r = await call(h, 'POST', '/auth/v1/user/signout', { body: '' });
    expect(r.status).toBe(200);
    expect(last().req).toEqual({ redirect_uri: '', state: '' });
    await call(h, 'POST', '/auth/v1/user/signout', { body: '  \n' });
    expect(last().req).toEqual({ redirect_uri: '', state: '' });
  });

  it('answers invalid JSON and non-object bodies with invalid_argument', async () => {
    for (const body of ['{"username":', '[]', '"x"', 'null', '12']) {
      const r = await post(h, '/auth/v1/signin', body);
      expect(r.status, body).toBe(400);
      expect(r.json.error).toBe('invalid_argument');
    }
    expect(h.calls).toHaveLength(0);
  });

  it('reads the body of a chunked request', async () => {
    const r = await call(h, 'POST', '/auth/v1/signin', { body: JSON.stringify({ username: 'x'.repeat(5000) }), chunked: true });
    expect(r.status).toBe(200);
    expect(last().req.username).toHaveLength(5000);
  });
});

describe('responses', () => {
  it('writes the response message as protojson with proto names and unpopulated fields', async () => {
    h.answers.SignIn = { token_type: 'Bearer', access_token: 'a', expires_in: 7200, groups: ['g'] };
    const r = await post(h, '/auth/v1/signin', { username: 'u', password: 'p' });
    expect(r.json).toEqual({
      token_type: 'Bearer',
      access_token: 'a',
      // refresh_token and id_token have presence: absent when none was issued (RFC 6749 5.1).
      expires_in: 7200,
      scope: '',
      sub: '',
      groups: ['g'],
      need_weda_resource: false,
    });
    h.answers.GetUserInfo = { sub: 's', groups: [{ id: 'g' }], created_at: new Date('2024-01-02T03:04:05Z') };
    const me = await call(h, 'GET', '/auth/v1/user/me');
    expect(me.json).toMatchObject({ sub: 's', groups: [{ id: 'g' }], created_at: '2024-01-02T03:04:05Z', email_verified: false });
    h.answers.Revoke = {};
    expect((await post(h, '/auth/v1/revoke', { token: 't' })).text).toBe('{}');
  });

  it('marks answers as not cacheable and not sniffable', async () => {
    const r = await call(h, 'GET', '/.well-known/jwks.json');
    expect(r.json).toEqual({ keys: [] });
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.text));
  });
});
