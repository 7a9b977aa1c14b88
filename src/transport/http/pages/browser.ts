// What the hosted pages keep in the browser: the sign-in cookie (single sign-on) and the CSRF
// cookie. Both HttpOnly and SameSite=Lax (sent when a client sends the user here, never with a
// cross-site form post), Secure when the issuer is served over TLS.
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { safeEqual } from '../../../domain/crypto/secrets.js';

// Over TLS the names carry the __Host- prefix: the browser then takes them only from this very
// host (Secure, Path=/, no Domain), so a sibling subdomain cannot plant a known CSRF seed or an
// SSO cookie of its choosing.
const SSO_COOKIE = 'signet_sso';
const CSRF_COOKIE = 'signet_csrf';
const cookieName = (name: string, secure: boolean) => (secure ? `__Host-${name}` : name);
const CSRF_SEED = /^[A-Za-z0-9_-]{43}$/;

export function readCookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';', 64)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

export function cookie(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  return [`${name}=${value}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax', secure ? 'Secure' : '']
    .filter(Boolean)
    .join('; ');
}

/**
 * One browser's request: its cookies, the cookies to set, and the CSRF token of its forms. The
 * token is an HMAC of a random seed kept in the CSRF cookie (double submit, with the seed itself
 * never in the page); a form post must carry the token of the cookie it arrives with.
 */
export class Browser {
  readonly cookies: Map<string, string>;
  readonly setCookies: string[] = [];
  private seed: string | null;
  private readonly ssoName: string;
  private readonly csrfName: string;

  constructor(
    req: IncomingMessage,
    private readonly key: Buffer,
    readonly secure: boolean,
  ) {
    this.cookies = readCookies(req);
    this.ssoName = cookieName(SSO_COOKIE, secure);
    this.csrfName = cookieName(CSRF_COOKIE, secure);
    const seed = this.cookies.get(this.csrfName) ?? '';
    this.seed = CSRF_SEED.test(seed) ? seed : null;
  }

  get sso(): string {
    return this.cookies.get(this.ssoName) ?? '';
  }

  /** The token the page's forms carry (sets the CSRF cookie when the browser has none). */
  csrfToken(): string {
    if (!this.seed) {
      this.seed = randomBytes(32).toString('base64url');
      // A day: a page left open overnight still posts; every new page renews it.
      this.setCookies.push(cookie(this.csrfName, this.seed, 86400, this.secure));
    }
    return this.tokenOf(this.seed);
  }

  /** True when the form carries the token of this browser's CSRF cookie. */
  csrfValid(token: string): boolean {
    return this.seed !== null && token !== '' && safeEqual(token, this.tokenOf(this.seed));
  }

  signIn(value: string, maxAgeSeconds: number): void {
    this.cookies.set(this.ssoName, value);
    this.setCookies.push(cookie(this.ssoName, value, maxAgeSeconds, this.secure));
  }

  signOut(): void {
    this.cookies.delete(this.ssoName);
    this.setCookies.push(cookie(this.ssoName, '', 0, this.secure));
  }

  private tokenOf(seed: string): string {
    return createHmac('sha256', this.key).update(`csrf\n${seed}`).digest('base64url');
  }
}
