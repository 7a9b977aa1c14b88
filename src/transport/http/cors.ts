// CORS for browser clients such as the CloudBase JS SDK, whose custom headers force a preflight.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

export const CORS_ALLOW_HEADERS =
  'authorization, content-type, x-request-id, x-device-id, x-sdk-version, accept-language, x-captcha-token';
/** Browsers cap it lower (Chrome: 2 h); this is Firefox's cap, so preflights are as rare as allowed. */
export const CORS_MAX_AGE_SECONDS = 86400;

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
    out['access-control-allow-headers'] = CORS_ALLOW_HEADERS;
    out['access-control-max-age'] = String(CORS_MAX_AGE_SECONDS);
  }
}
