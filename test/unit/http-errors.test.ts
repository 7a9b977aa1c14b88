import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SignetError } from '../../src/domain/errors.js';
import { AuthServiceDefinition } from '../../src/gen/signet/auth/v1/auth_service.js';
import { call, post, startHarness, type Harness } from './http-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ bodyLimitBytes: 1024 });
});
afterAll(() => h.close());
beforeEach(() => {
  h.calls.length = 0;
  h.logs.length = 0;
  for (const k of Object.keys(h.answers)) delete h.answers[k];
});

const EN = { 'accept-language': 'en' };
const errorInfo = (reason: string, extra: Record<string, unknown> = {}) => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason,
  domain: 'signet.auth.v1',
  metadata: {},
  ...extra,
});
const localized = (locale: string, message: string) => ({
  '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
  locale,
  message,
});

/** Raw bytes on a socket, for requests no client library would send. */
function raw(h: Harness, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(h.port, '127.0.0.1', () => s.end(text));
    let out = '';
    s.on('data', (d) => (out += d));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

describe('error bodies', () => {
  it('answers an unknown field with 400 and this exact body', async () => {
    const r = await post(h, '/auth/v1/signin', { username: 'u', usernme: 'x' }, EN);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      code: 3,
      message: 'The request has an invalid argument.',
      details: [
        errorInfo('invalid_argument'),
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          field_violations: [{ field: 'usernme', description: 'unknown field' }],
        },
        localized('en', 'The request has an invalid argument.'),
      ],
      error: 'invalid_argument',
      error_code: 3,
      error_description: 'The request has an invalid argument.',
    });
    expect(h.calls).toHaveLength(0);
  });

  it('renders a SignetError with BadRequest and RetryInfo exactly, in the default locale', async () => {
    h.answers.SignIn = new SignetError('invalid_status', 'test', {
      metadata: { limit_remaining: '0' },
      fieldViolations: [{ field: 'username', description: 'locked' }],
      retryAfterSeconds: 840,
    });
    const r = await post(h, '/auth/v1/signin', { username: 'u', password: 'p' });
    expect(r.status).toBe(400);
    const message = '您的账户已锁定，请通过找回密码解锁，或联系平台运维中心';
    expect(r.json).toEqual({
      code: 9,
      message,
      details: [
        errorInfo('invalid_status', {
          metadata: { limit_remaining: '0', hzero_key: 'hoth.warn.accountLocked' },
          limit_remaining: 0,
          retry_delay: '840s',
        }),
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          field_violations: [{ field: 'username', description: 'locked' }],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retry_delay: '840s' },
        localized('zh-CN', message),
      ],
      error: 'invalid_status',
      error_code: 9,
      error_description: message,
    });
  });

  it('answers a plain Error with 500 internal, a generic message, no leak, and a log line with the stack', async () => {
    h.answers.Token = new Error('relation "sessions" does not exist; password=hunter2');
    const r = await post(h, '/auth/v1/token', { grant_type: 'password' }, { ...EN, 'x-request-id': 'req-500' });
    expect(r.status).toBe(500);
    expect(r.json).toEqual({
      code: 13,
      message: 'Internal server error.',
      details: [errorInfo('internal'), localized('en', 'Internal server error.')],
      error: 'internal',
      error_code: 13,
      error_description: 'Internal server error.',
    });
    expect(r.text).not.toMatch(/hunter2|sessions|at .*\.ts/);
    const line = h.logs.find((l) => l.level === 50);
    expect(line).toMatchObject({ requestId: 'req-500', rpc: 'signet.auth.v1.AuthService/Token' });
    expect(line.err.stack).toContain('hunter2');
  });

  it('uses the status code a SignetError implies (401 for unauthenticated)', async () => {
    h.answers.GetUserInfo = new SignetError('unauthenticated', 'test');
    const r = await call(h, 'GET', '/auth/v1/user/me', { headers: EN });
    expect(r.status).toBe(401);
    expect(r.json.error_description).toBe('the oauth2.0 access token is not correct or expired');
  });

  it('answers 404 not_found for an unknown path', async () => {
    const r = await call(h, 'GET', '/auth/v1/nope', { headers: EN });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({
      code: 5,
      message: 'The requested resource was not found.',
      details: [errorInfo('not_found'), localized('en', 'The requested resource was not found.')],
      error: 'not_found',
      error_code: 5,
      error_description: 'The requested resource was not found.',
    });
    for (const p of ['/', '/auth/v1/signin/', '/auth/v1//signin', '/AUTH/v1/signin', '/admin/v1/tenants/t/x']) {
      expect((await call(h, 'POST', p, { body: '{}' })).status, p).toBe(404);
    }
  });

  it('answers 405 method_not_allowed with Allow for a known path', async () => {
    const r = await call(h, 'GET', '/auth/v1/signin', { headers: EN });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('POST');
    expect(r.json).toMatchObject({ code: 12, error: 'method_not_allowed', error_code: 12 });
    expect(r.json.details[0]).toEqual(errorInfo('method_not_allowed'));
    const d = await call(h, 'DELETE', '/admin/v1/tenants/t1');
    expect(d.status).toBe(405);
    expect(d.headers.allow).toBe('GET, PATCH');
  });
});

describe('body limit', () => {
  it('answers 413 resource_exhausted for a declared Content-Length over the limit', async () => {
    const r = await post(h, '/auth/v1/signin', { username: 'x'.repeat(2000) }, EN);
    expect(r.status).toBe(413);
    expect(r.headers.connection).toBe('close');
    expect(r.json).toMatchObject({ code: 8, error: 'resource_exhausted' });
    expect(r.json.details[0].metadata).toEqual({ limit_bytes: '1024' });
    expect(h.calls).toHaveLength(0);
  });

  it('answers 413 for a chunked body that grows past the limit', async () => {
    const r = await call(h, 'POST', '/auth/v1/signin', { body: JSON.stringify({ username: 'x'.repeat(4000) }), chunked: true });
    expect(r.status).toBe(413);
    expect(h.calls).toHaveLength(0);
  });

  it('accepts a body at the limit', async () => {
    const body = JSON.stringify({ username: 'x'.repeat(1024 - 15) });
    expect(body.length).toBe(1024);
    expect((await post(h, '/auth/v1/signin', body)).status).toBe(200);
  });
});

describe('bad input never crashes the server', () => {
  it('rejects malformed percent-encoding in the path and the query string', async () => {
    const p = await call(h, 'GET', '/admin/v1/users/%E0%A4%A', { headers: EN });
    expect(p.status).toBe(400);
    expect(p.json.error).toBe('invalid_argument');
    const q = await call(h, 'GET', '/admin/v1/users?tenant_id=%zz');
    expect(q.status).toBe(400);
    expect((await call(h, 'GET', '/admin/v1/users?page_size.x=1&page_size=2')).status).toBe(400);
  });

  it('survives huge headers, unknown methods, absolute-form and asterisk targets', async () => {
    expect(await raw(h, `GET /auth/v1/user/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`)).toMatch(/^HTTP\/1.1 431/);
    expect(await raw(h, 'BREW /auth/v1/signin HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1.1 400/);
    expect(await raw(h, 'GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1.1 400/);
    expect(await raw(h, 'PROPFIND /auth/v1/signin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1.1 405/);
    expect(await raw(h, 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1.1 404/);
    expect(await raw(h, `GET http://x.example/.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toMatch(
      /^HTTP\/1.1 200[\s\S]*\{"keys":\[\]\}$/,
    );
    expect(await raw(h, 'garbage\r\n\r\n')).toMatch(/^HTTP\/1.1 400/);
    expect((await call(h, 'GET', '/.well-known/jwks.json')).status).toBe(200);
  });

  it('handles a client that disconnects mid-body', async () => {
    await new Promise<void>((resolve) => {
      const s = connect(h.port, '127.0.0.1', () => {
        s.write('POST /auth/v1/signin HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"user');
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 20);
      });
    });
    expect((await call(h, 'GET', '/.well-known/jwks.json')).status).toBe(200);
    // A client hanging up is not a server error.
    expect(h.logs.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('answers 501 for an annotated method without a handler', async () => {
    const partial = await startHarness(
      {},
      {
        services: [{ definition: AuthServiceDefinition, handlers: {} }],
      },
    );
    try {
      const r = await post(partial, '/auth/v1/signin', {});
      expect(r.status).toBe(501);
      expect(r.json.error).toBe('method_not_allowed');
    } finally {
      await partial.close();
    }
  });
});
