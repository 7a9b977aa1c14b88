// Hand-written routes with path variables and non-JSON answers (what the HZERO dialect needs).
import { describe, expect, it } from 'vitest';
import { SignetError } from '../../src/domain/errors.js';
import { ExtraRoutes } from '../../src/transport/http/extra.js';
import { call, startHarness } from './http-harness.js';

const noop = () => {};

describe('extra routes with path variables', () => {
  it('matches {name} segments, decodes them, and prefers an exact path', async () => {
    const x = await startHarness(
      {},
      {
        extraRoutes: [
          {
            method: 'GET',
            path: '/img/{key}',
            handle: (ex) => ex.send(200, Buffer.from([1, 2, 3]), { 'content-type': 'image/png', 'cache-control': 'no-cache' }),
          },
          { method: 'GET', path: '/img/latest', handle: (ex) => ex.sendJson(200, { latest: true }) },
          { method: 'GET', path: '/a/{x}/b/{y}', handle: (ex) => ex.sendJson(200, { ...ex.params }) },
          {
            method: 'DELETE',
            path: '/a/{x}/b/{y}',
            handle: () => {
              throw new SignetError('permission_denied', 'test');
            },
          },
        ],
      },
    );
    try {
      const img = await call(x, 'GET', '/img/abc', { headers: { 'x-request-id': 'rid-1', origin: 'https://a.example' } });
      expect(img.status).toBe(200);
      expect(Buffer.from(img.text, 'latin1')).toEqual(Buffer.from([1, 2, 3]));
      expect(img.headers).toMatchObject({
        'content-type': 'image/png',
        'content-length': '3',
        'cache-control': 'no-cache',
        'x-request-id': 'rid-1',
        'access-control-allow-origin': '*',
        'x-content-type-options': 'nosniff',
      });
      expect((await call(x, 'GET', '/img/latest')).json).toEqual({ latest: true });
      expect((await call(x, 'GET', '/a/one%20two/b/%E4%B8%89')).json).toEqual({ x: 'one two', y: '三' });
      expect((await call(x, 'DELETE', '/a/1/b/2')).json.error).toBe('permission_denied');
      // A variable matches exactly one non-empty segment.
      expect((await call(x, 'GET', '/img/a/b')).status).toBe(404);
      expect((await call(x, 'GET', '/img/')).status).toBe(404);
      expect((await call(x, 'GET', '/a/%zz/b/1')).json.error).toBe('invalid_argument');
      const wrong = await call(x, 'POST', '/a/1/b/2');
      expect(wrong.status).toBe(405);
      expect(wrong.headers.allow).toBe('GET, DELETE');
    } finally {
      await x.close();
    }
  });

  it('refuses malformed paths and two routes for the same paths', () => {
    const routes = new ExtraRoutes();
    routes.add({ method: 'get', path: '/c/{key}', handle: noop });
    expect(() => routes.add({ method: 'GET', path: '/c/{other}', handle: noop })).toThrow(/routed twice/);
    expect(() => routes.add({ method: 'GET', path: 'c/x', handle: noop })).toThrow(/starts with/);
    expect(() => routes.add({ method: 'GET', path: '/c/{a}b', handle: noop })).toThrow(/malformed/);
    expect(() => routes.add({ method: 'GET', path: '/c//x', handle: noop })).toThrow(/malformed/);
    routes.add({ method: 'POST', path: '/c/{key}', handle: noop });
    expect(routes.allowed('/c/1')).toEqual(['GET', 'POST']);
    expect(routes.match('GET', '/c/1')?.params).toEqual({ key: '1' });
  });
});
