// CORS for browser clients such as the CloudBase JS SDK, whose custom headers force a preflight.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

export const CORS_ALLOW_HEADERS = 'authorization, content-type, x-request-id, x-device-id, x-sdk-version, accept-language, x-captcha-token';
/** Browsers cap it lower (Chrome: 2 h); this is Firefox's cap, so preflights are as rare as allowed. */
export const CORS_MAX_AGE_SECONDS = 86400;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

/**
 * Our own headers plus whatever valid header names the browser asks for. Reflecting them is
 * safe here (Signet ignores headers it does not know) and needed: the CloudBase SDK 3.3.3 sends
 * a header literally named "undefined" when no i18n option is set, and a browser would block
 * every call whose preflight does not allow it.
 */
function allowHeaders(requested: string | undefined): string {
  const extra = (requested ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => TOKEN.test(h));
  const fixed = CORS_ALLOW_HEADERS.split(', ');
  return [...fixed, ...extra.filter((h) => !fixed.includes(h)).slice(0, 32)].join(', ');
}

export class Cors {
  private readonly any: boolean;
  private readonly origins: ReadonlySet<string>;
  private readonly allowMethods: string;

  constructor(origins: readonly string[], methods: Iterable<string>) {
    this.any = origins.includes('*');
    this.origins = new Set(origins.map((o) => o.replace(/\/+$/, '')));
    this.allowMethods = [...new Set([...methods, 'OPTIONS'])].join(', ');
  }

  /** Adds the headers of an actual (non-preflight) response. */
  apply(reqHeaders: IncomingHttpHeaders, out: OutgoingHttpHeaders): void {
    if (this.any) {
      out['access-control-allow-origin'] = '*';
    } else {
      // The answer differs per Origin, so caches must key on it even when it is refused.
      out.vary = 'Origin';
      const origin = reqHeaders.origin;
      if (origin === undefined || !this.origins.has(origin)) return;
      out['access-control-allow-origin'] = origin;
    }
    out['access-control-expose-headers'] = 'x-request-id';
  }

  /** The headers of a 204 answer to OPTIONS. */
  preflight(reqHeaders: IncomingHttpHeaders, out: OutgoingHttpHeaders): void {
    this.apply(reqHeaders, out);
    if (out['access-control-allow-origin'] === undefined) return;
    out['access-control-allow-methods'] = this.allowMethods;
    out['access-control-allow-headers'] = allowHeaders(reqHeaders['access-control-request-headers']);
    out.vary = out.vary ? `${out.vary}, Access-Control-Request-Headers` : 'Access-Control-Request-Headers';
    out['access-control-max-age'] = String(CORS_MAX_AGE_SECONDS);
  }
}
