// The redirect URIs a client registers for the authorization code grant. Registration checks
// their shape; use compares character for character (RFC 6749 3.1.2.2, OAuth 2.0 Security BCP
// 4.1.1): no prefix, no normalisation, no pattern, so a code can only go where the operator said.
import { SignetError, invalidArgument } from '../errors.js';
import type { Client } from '../model.js';

export const MAX_REDIRECT_URIS = 20;
export const MAX_REDIRECT_URI_LENGTH = 2048;

/** Plain http is for a developer's machine and native apps' loopback listeners (RFC 8252 7.3). */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u009f]/;

/** The list as registered (duplicates dropped), or invalid_argument naming the first bad one. */
export function checkRedirectUris(uris: readonly string[], field = 'redirect_uris'): string[] {
  if (uris.length > MAX_REDIRECT_URIS) throw invalidArgument(field, `at most ${MAX_REDIRECT_URIS} redirect URIs`);
  for (const uri of uris) {
    const refused = refusal(uri);
    if (refused) throw invalidArgument(field, `${refused}: ${uri.slice(0, 200)}`);
  }
  return [...new Set(uris)];
}

function refusal(uri: string): string | null {
  if (uri.length === 0) return 'an empty redirect URI';
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `longer than ${MAX_REDIRECT_URI_LENGTH} characters`;
  if (CONTROL_OR_SPACE.test(uri)) return 'spaces and control characters are not allowed';
  if (uri.includes('#')) return 'a redirect URI has no fragment';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'not an absolute URL';
  }
  if (url.username || url.password) return 'no user name or password in a redirect URI';
  if (url.protocol === 'https:') return url.hostname ? null : 'no host';
  if (url.protocol === 'http:') return LOOPBACK.has(url.hostname) ? null : 'https only (http only for localhost and 127.0.0.1)';
  return 'https only (http only for localhost and 127.0.0.1)';
}

/** The redirect URI asked for, when the client registered exactly this string. */
export function requireRegisteredRedirect(client: Client, redirectUri: string): string {
  if (!redirectUri) throw invalidArgument('redirect_uri', 'redirect_uri is required');
  // Not a registered one: the caller must not be sent anywhere (RFC 6749 4.1.2.1).
  if (!client.redirectUris.includes(redirectUri)) {
    throw new SignetError('invalid_argument', 'redirect_uri_unregistered', {
      fieldViolations: [{ field: 'redirect_uri', description: 'not a redirect URI registered for this client' }],
    });
  }
  return redirectUri;
}
