// /openapi.json and the Swagger UI page at /docs, on the public and the admin REST listeners.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDocument } from '../../src/transport/http/openapi/index.js';
import { startTestSignet, type TestSignet } from '../helpers/signet.js';

let s: TestSignet;
beforeAll(async () => {
  s = await startTestSignet({ backend: 'embedded' });
});
afterAll(() => s?.stop());

const fetchText = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, text: await res.text() };
};

describe('the OpenAPI documents', () => {
  it('serves the public API on the public listener, without the admin API', async () => {
    const r = await fetchText(`${s.http}/openapi.json`);
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    const doc = JSON.parse(r.text);
    // The services the listener serves are those the document tests cover.
    expect(doc).toEqual(apiDocument('public'));
    expect(doc.paths['/auth/v1/signin'].post).toBeDefined();
    expect(doc.paths['/auth/v1/user/sessions'].get).toBeDefined();
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/admin/'))).toBe(false);
    // Built once: the second answer is the same text.
    expect((await fetchText(`${s.http}/openapi.json`)).text).toBe(r.text);
  });

  it('serves the admin API on the admin listener only', async () => {
    const r = await fetchText(`${s.admin}/openapi.json`);
    expect(r.status).toBe(200);
    const doc = JSON.parse(r.text);
    expect(doc).toEqual(apiDocument('admin'));
    expect(doc.paths['/admin/v1/tenants'].post).toBeDefined();
    expect(doc.security).toEqual([{ adminToken: [] }]);
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/admin/'))).toBe(true);
  });

  it('answers other methods with 405', async () => {
    const r = await fetchText(`${s.http}/openapi.json`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(405);
  });
});

describe('the reference page', () => {
  it.each(['http', 'admin'] as const)('is served on the %s listener with a strict CSP', async (listener) => {
    const r = await fetchText(`${s[listener]}/docs`);
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/html; charset=utf-8');
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.text).toContain('<script src="docs/swagger-ui-bundle.js"></script>');
    expect(r.text).not.toMatch(/<script>|<style>/);
  });

  it("serves Swagger UI's assets and the page's own script", async () => {
    const bundle = await fetchText(`${s.http}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.type).toBe('text/javascript; charset=utf-8');
    expect(bundle.text).toContain('SwaggerUIBundle');
    const css = await fetchText(`${s.http}/docs/swagger-ui.css`);
    expect([css.status, css.type]).toEqual([200, 'text/css; charset=utf-8']);
    const init = await fetchText(`${s.http}/docs/init.js`);
    expect(init.status).toBe(200);
    expect(init.text).toContain("url: 'openapi.json'");
  });

  it('serves nothing else of the package', async () => {
    for (const p of ['/docs/package.json', '/docs/index.html', '/docs/..%2Fpackage.json', '/docs/swagger-ui-bundle.js.map']) {
      expect((await fetchText(`${s.http}${p}`)).status, p).toBe(404);
    }
  });
});
