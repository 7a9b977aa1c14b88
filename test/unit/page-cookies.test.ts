// The hosted pages' cookies: attributes, and the __Host- prefix over TLS (a sibling subdomain
// cannot set such a cookie), and the CSRF token bound to the seed cookie.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Browser } from '../../src/transport/http/pages/browser.js';

const request = (cookie?: string) => ({ headers: cookie ? { cookie } : {} }) as IncomingMessage;
const KEY = Buffer.alloc(32, 1);

describe('hosted page cookies', () => {
  it('over TLS: __Host- names, Secure, HttpOnly, SameSite=Lax, Path=/', () => {
    const b = new Browser(request(), KEY, true);
    b.csrfToken();
    b.signIn('jwt', 3600);
    expect(b.setCookies).toEqual([
      expect.stringMatching(/^__Host-signet_csrf=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax; Secure$/),
      '__Host-signet_sso=jwt; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure',
    ]);
  });

  it('over TLS, an unprefixed cookie (planted by a sibling subdomain) is not read', () => {
    const seed = 'A'.repeat(43);
    const b = new Browser(request(`signet_sso=planted; signet_csrf=${seed}`), KEY, true);
    expect(b.sso).toBe('');
    const honest = new Browser(request(`__Host-signet_csrf=${seed}`), KEY, true);
    const token = honest.csrfToken();
    expect(b.csrfValid(token)).toBe(false);
    expect(honest.csrfValid(token)).toBe(true);
  });

  it('a CSRF token is valid only with the seed cookie it was made from', () => {
    const a = new Browser(request(`signet_csrf=${'A'.repeat(43)}`), KEY, false);
    const b = new Browser(request(`signet_csrf=${'B'.repeat(43)}`), KEY, false);
    expect(a.csrfValid(a.csrfToken())).toBe(true);
    expect(b.csrfValid(a.csrfToken())).toBe(false);
    expect(new Browser(request(), KEY, false).csrfValid(a.csrfToken())).toBe(false);
    expect(a.csrfValid('')).toBe(false);
  });
});
