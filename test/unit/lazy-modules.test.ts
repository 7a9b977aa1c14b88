// Packages only some requests need are loaded on their first use, not when the server starts:
// PGlite on a server that has PostgreSQL, the captcha drawer and rasteriser, the common-password
// list. Each costs resident memory in every process (README, Performance).
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { TEST_DATABASE_URL } from '../helpers/db.js';

const imported = vi.hoisted(() => new Set<string>());
vi.mock('@electric-sql/pglite', async (importOriginal) => {
  imported.add('@electric-sql/pglite');
  return importOriginal();
});

// The CommonJS ones are required through src/domain/lazy-module.ts: Node's own module cache.
const requireCache = createRequire(import.meta.url).cache;
const required = (pkg: string) => Object.keys(requireCache).some((file) => file.includes(`/node_modules/${pkg}/`));
const ON_FIRST_USE = ['svg-captcha', '@resvg/resvg-js', '@zxcvbn-ts/language-common'];

describe('modules loaded on first use', () => {
  it('loading the server loads none of them', async () => {
    await import('../../src/app.js');
    expect(imported.has('@electric-sql/pglite')).toBe(false);
    expect(ON_FIRST_USE.filter(required)).toEqual([]);
  });

  it('a PostgreSQL database does not load PGlite; the embedded one does, and works', async () => {
    const { openDatabase, PGLITE_MEMORY } = await import('../../src/storage/prisma/index.js');
    const pg = await openDatabase({ databaseUrl: TEST_DATABASE_URL, dataDir: '/nonexistent' });
    await pg.close();
    expect(imported.has('@electric-sql/pglite')).toBe(false);

    const embedded = await openDatabase({ databaseUrl: PGLITE_MEMORY, dataDir: '/nonexistent' });
    try {
      expect(imported.has('@electric-sql/pglite')).toBe(true);
      expect(embedded.kind).toBe('pglite');
      expect(await embedded.prisma.$queryRawUnsafe('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await embedded.close();
    }
  });

  it('the captcha drawer and rasteriser load when a captcha is drawn, and draw it', async () => {
    const { renderCaptcha } = await import('../../src/domain/defence/captcha.js');
    const { svgToPng } = await import('../../src/transport/http/hzero/captcha.js');
    const { svg } = renderCaptcha();
    expect(svg).toMatch(/^<svg /);
    expect(required('svg-captcha')).toBe(true);
    const png = svgToPng(svg);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(required('@resvg/resvg-js')).toBe(true);
  });

  it('the common-password list loads on the first check', async () => {
    const { isCommonPassword } = await import('../../src/domain/accounts/password-policy.js');
    expect(isCommonPassword('Password1')).toBe(true);
    expect(isCommonPassword('correct horse battery staple 7')).toBe(false);
    expect(required('@zxcvbn-ts/language-common')).toBe(true);
  });
});
