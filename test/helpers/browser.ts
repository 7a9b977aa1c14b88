// A real browser for the hosted pages' tests: Debian's chromium driven by playwright-core, and a
// small local web site playing the client application (its redirect URI, and pages of its own).
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Launches headless chromium. A missing browser is a failure, never a skip: a suite that skips
 * when its browser is absent is a check that cannot fail (CI installs Debian's `chromium`).
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser tests`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-gpu',
      '--disable-quic',
    ],
  });
}

export interface LocalSite {
  origin: string;
  /** Serves `html` at `path` (any query). */
  page(path: string, html: string): void;
  close(): Promise<void>;
}

/** The client's web site: every path answers 200 "ok" unless a page was put there. */
export async function startLocalSite(): Promise<LocalSite> {
  const pages = new Map<string, string>();
  const server = createServer((req, res) => {
    const html = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (html === undefined) res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok');
    else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    page: (path, html) => void pages.set(path, html),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
