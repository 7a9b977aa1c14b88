import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SignetError } from '../../src/domain/errors.js';
import { pickLocale } from '../../src/transport/locale.js';
import { call, post, startHarness, type Harness } from './http-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => {
  h.calls.length = 0;
});
const last = () => h.calls[h.calls.length - 1];

describe('CallContext', () => {
  it('passes the listed headers through as metadata, and nothing else', async () => {
    const basic = `Basic ${Buffer.from('my-client:').toString('base64')}`;
    await post(
      h,
      '/auth/v1/token',
      { grant_type: 'client_credentials' },
      {
        authorization: basic,
        'x-device-id': 'd'.repeat(32),
        'x-request-id': 'a'.repeat(32),
        'accept-language': 'en-US,en;q=0.9',
        'x-captcha-token': 'cap',
        'user-agent': 'ua/1',
        'X-SDK-Version': '3.3.3',
        cookie: 'secret=1',
        'x-other': 'no',
      },
    );
    expect(last().ctx.metadata).toEqual({
      authorization: basic,
      'x-device-id': 'd'.repeat(32),
      'x-request-id': 'a'.repeat(32),
      'accept-language': 'en-US,en;q=0.9',
      'x-captcha-token': 'cap',
      'user-agent': 'ua/1',
      'x-sdk-version': '3.3.3',
    });
    expect(last().ctx.locale).toBe('en');
    expect(last().ctx.clientIp).toBe('127.0.0.1');
  });

  it('echoes x-request-id, or makes a 32-hex one, on every answer', async () => {
    const given = await call(h, 'GET', '/.well-known/jwks.json', { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    expect(last().ctx.requestId).toBe('abc-123');

    const made = await call(h, 'GET', '/.well-known/jwks.json');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(last().ctx.requestId).toBe(made.headers['x-request-id']);
    expect(last().ctx.metadata['x-request-id']).toBe(made.headers['x-request-id']);

    // Not a token: replaced, so logs and echoes stay clean.
    const odd = await call(h, 'GET', '/.well-known/jwks.json', { headers: { 'x-request-id': 'a b<script>' } });
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);

    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/auth/v1/signin'],
      ['OPTIONS', '/auth/v1/signin'],
    ]) {
      const r = await call(h, method, path, { headers: { 'x-request-id': 'rid-1' } });
      expect(r.headers['x-request-id'], `${method} ${path}`).toBe('rid-1');
    }
    const big = await post(h, '/auth/v1/signin', { x: 'y'.repeat(70000) }, { 'x-request-id': 'rid-2' });
    expect(big.status).toBe(413);
    expect(big.headers['x-request-id']).toBe('rid-2');
  });

  it('picks the locale from Accept-Language, else the configured default', async () => {
    const zh = await call(h, 'GET', '/nope');
    expect(zh.json.message).toBe('请求的资源不存在');
    expect(zh.json.details.at(-1)).toMatchObject({ locale: 'zh-CN' });
    const en = await call(h, 'GET', '/nope', { headers: { 'accept-language': 'fr;q=1, en-GB;q=0.8, zh;q=0.5' } });
    expect(en.json.message).toBe('The requested resource was not found.');
    const enDefault = await startHarness({ defaultLocale: 'en' });
    try {
      expect((await call(enDefault, 'GET', '/nope', { headers: { 'accept-language': 'de' } })).json.details.at(-1).locale).toBe('en');
    } finally {
      await enDefault.close();
    }
  });
});

describe('x-forwarded-for', () => {
  it('is ignored when the peer is not a trusted proxy', async () => {
    await call(h, 'GET', '/auth/v1/user/me', { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(last().ctx.clientIp).toBe('127.0.0.1');
    expect(last().ctx.metadata['x-forwarded-for']).toBe('203.0.113.7');
  });

  it('gives the first untrusted hop from the right when the peer is trusted', async () => {
    const t = await startHarness({ trustedProxies: ['127.0.0.0/8', '10.0.0.0/8', '2001:db8::/32'] });
    try {
      const ip = async (xff: string) => {
        await call(t, 'GET', '/auth/v1/user/me', { headers: { 'x-forwarded-for': xff } });
        return t.calls[t.calls.length - 1].ctx.clientIp;
      };
      expect(await ip('203.0.113.7')).toBe('203.0.113.7');
      // The left-most entry is whatever the client claimed; the proxy appended the real peer.
      expect(await ip('198.51.100.1, 203.0.113.7, 10.1.2.3')).toBe('203.0.113.7');
      expect(await ip('2001:db8::1, 2001:db9::5')).toBe('2001:db9::5');
      expect(await ip('10.0.0.1, 10.0.0.2')).toBe('10.0.0.1');
      await call(t, 'GET', '/auth/v1/user/me');
      expect(t.calls[t.calls.length - 1].ctx.clientIp).toBe('127.0.0.1');
    } finally {
      await t.close();
    }
  });
});

describe('CORS', () => {
  it("answers a preflight with '*' and the SDK's headers", async () => {
    const r = await call(h, 'OPTIONS', '/auth/v1/signin', {
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-device-id' },
    });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.headers['access-control-allow-headers']).toBe(
      'authorization, content-type, x-request-id, x-device-id, x-sdk-version, accept-language, x-captcha-token',
    );
    // The harness serves AuthService and AdminService (whose ticket keys are removed with DELETE).
    expect(r.headers['access-control-allow-methods']).toBe('POST, GET, PATCH, DELETE, OPTIONS');
    expect(r.headers['access-control-max-age']).toBe('86400');
    expect(h.calls).toHaveLength(0);
    const actual = await post(h, '/auth/v1/signin', {}, { origin: 'https://app.example' });
    expect(actual.headers['access-control-allow-origin']).toBe('*');
    expect(actual.headers['access-control-expose-headers']).toBe('x-request-id');
  });

  it('echoes only listed origins, with Vary: Origin', async () => {
    const c = await startHarness({ corsOrigins: ['https://a.example', 'https://b.example/'] });
    try {
      const ok = await call(c, 'OPTIONS', '/auth/v1/token', {
        headers: {
          origin: 'https://b.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,undefined,bad header,x-device-id',
        },
      });
      expect(ok.status).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe('https://b.example');
      expect(ok.headers.vary).toBe('Origin, Access-Control-Request-Headers');
      expect(ok.headers['access-control-allow-headers']).toBe(
        'authorization, content-type, x-request-id, x-device-id, x-sdk-version, accept-language, x-captcha-token, undefined',
      );

      const no = await call(c, 'OPTIONS', '/auth/v1/token', {
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(no.headers['access-control-allow-origin']).toBeUndefined();
      expect(no.headers['access-control-allow-headers']).toBeUndefined();
      expect(no.headers.vary).toBe('Origin');

      const get = await call(c, 'GET', '/.well-known/jwks.json', { headers: { origin: 'https://a.example' } });
      expect(get.headers['access-control-allow-origin']).toBe('https://a.example');
      const err = await call(c, 'GET', '/nope', { headers: { origin: 'https://a.example' } });
      expect(err.headers['access-control-allow-origin']).toBe('https://a.example');
    } finally {
      await c.close();
    }
  });
});

describe('extra routes', () => {
  it('serves hand-written routes with the same context, limits and error rendering', async () => {
    const x = await startHarness(
      { bodyLimitBytes: 1024 },
      {
        extraRoutes: [
          {
            method: 'post',
            path: '/oauth/oauth/token',
            async handle(ex) {
              const body = (await ex.readBody()).toString();
              if (body === 'fail') throw new SignetError('invalid_grant', 'test');
              ex.sendJson(200, { body, query: ex.query, rid: ex.ctx.requestId });
            },
          },
        ],
      },
    );
    try {
      const r = await call(x, 'POST', '/oauth/oauth/token?grant_type=password', { body: 'a=1', headers: { 'x-request-id': 'r1' } });
      expect(r.json).toEqual({ body: 'a=1', query: 'grant_type=password', rid: 'r1' });
      expect(r.headers['x-request-id']).toBe('r1');
      expect((await call(x, 'POST', '/oauth/oauth/token', { body: 'fail' })).json.error).toBe('invalid_grant');
      expect((await call(x, 'POST', '/oauth/oauth/token', { body: 'z'.repeat(2000) })).status).toBe(413);
      const wrong = await call(x, 'GET', '/oauth/oauth/token');
      expect(wrong.status).toBe(405);
      expect(wrong.headers.allow).toBe('POST');
    } finally {
      await x.close();
    }
  });

  it('refuses an extra route that shadows an annotated one', async () => {
    await expect(startHarness({}, { extraRoutes: [{ method: 'POST', path: '/auth/v1/signin', handle() {} }] })).rejects.toThrow(
      /routed twice/,
    );
  });
});

describe('pickLocale', () => {
  it.each([
    [undefined, 'zh-CN'],
    ['', 'zh-CN'],
    ['en', 'en'],
    ['EN-us', 'en'],
    ['zh-TW', 'zh-CN'],
    ['zh-Hans-CN', 'zh-CN'],
    ['fr', 'zh-CN'],
    ['*', 'zh-CN'],
    ['en;q=0.5, zh;q=0.8', 'zh-CN'],
    ['zh;q=0, en', 'en'],
    ['fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7', 'en'],
    ['en;q=abc, zh', 'zh-CN'],
    ['en;q=2', 'zh-CN'],
    [';;;,,,', 'zh-CN'],
  ] as const)('%j → %s', (header, expected) => {
    expect(pickLocale(header, 'zh-CN')).toBe(expected);
  });

  it('falls back to the given default', () => {
    expect(pickLocale('de', 'en')).toBe('en');
    expect(pickLocale(`${'x,'.repeat(10000)}en`, 'zh-CN')).toBe('zh-CN');
  });
});
