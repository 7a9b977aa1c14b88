// GET /openapi.json and a browsable reference at /docs (Swagger UI, from the swagger-ui-dist
// package): the page and its assets are the only ones Signet serves with scripts, all from here.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SignetError } from '../../../domain/errors.js';
import type { ExtraRoute } from '../server.js';

/** Swagger UI's files the page loads, and their types; nothing else of the package is served. */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

// Relative URLs, so that the page works under whatever prefix a reverse proxy gives the listener.
const INIT_JS = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: 'openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

const page = (title: string) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="docs/favicon-16x16.png" sizes="16x16">
</head><body><div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body></html>
`;

/**
 * Scripts only from here, no inline or eval'd script; Swagger UI sets style attributes, hence
 * inline styles; requests ("Try it out") only to this listener; never framed.
 */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** The assets change only with the package's version. */
const ASSET_CACHE = 'public, max-age=3600';

let assetDir: string | undefined;
function swaggerUiDir(): string {
  assetDir ??= path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  return assetDir;
}

/** The routes of one listener's document; build runs once, on the first request. */
export function apiDocRoutes(title: string, build: () => Record<string, unknown>): ExtraRoute[] {
  let json: string | undefined;
  return [
    {
      method: 'GET',
      path: '/openapi.json',
      handle(x) {
        json ??= JSON.stringify(build());
        x.send(200, json, { 'content-type': 'application/json' });
      },
    },
    { method: 'GET', path: '/docs', handle: (x) => x.send(200, page(title), { ...PAGE_HEADERS }) },
    {
      method: 'GET',
      path: '/docs/{file}',
      async handle(x) {
        const file = x.params.file;
        if (file === 'init.js') {
          x.send(200, INIT_JS, { 'content-type': ASSETS['swagger-ui-bundle.js'], 'cache-control': ASSET_CACHE });
          return;
        }
        const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
        if (!type) throw new SignetError('not_found', 'route_unknown');
        x.send(200, await readFile(path.join(swaggerUiDir(), file)), { 'content-type': type, 'cache-control': ASSET_CACHE });
      },
    },
  ];
}
