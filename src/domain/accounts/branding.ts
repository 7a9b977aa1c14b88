// A tenant's look on the hosted login page. The page puts these values into HTML and CSS, so they
// are checked here, once, on the way in: a colour that is only ever `#rrggbb` and a logo URL that
// can only be fetched (https, a local http, or an inline image) leave nothing to escape into.
import { invalidArgument } from '../errors.js';
import type { Tenant, TenantPolicy } from '../model.js';

export const DEFAULT_PRIMARY_COLOR = '#1f6feb';
export const DISPLAY_NAME_MAX = 64;
export const LOGO_URL_MAX = 2048;
/**
 * A data: logo is inlined into every login page, and must fit a request (SIGNET_BODY_LIMIT_BYTES,
 * 64 KiB by default) with the rest of the tenant: 32 KiB is a generous logo.
 */
export const LOGO_DATA_URI_MAX = 32 * 1024;

export interface Branding {
  name: string;
  logoUrl: string | null;
  primaryColor: string;
}

/** What the login page shows; an unset (or cleared, "") field takes the default. */
export function brandingOf(tenant: Tenant): Branding {
  const p = tenant.policy;
  return {
    name: p.displayName || tenant.name,
    logoUrl: p.logoUrl || null,
    primaryColor: p.primaryColor || DEFAULT_PRIMARY_COLOR,
  };
}

const COLOR = /^#[0-9a-f]{6}$/i;
// Control characters (newlines above all) have no place in a title.
const CONTROL = /\p{Cc}/u;
// Types a browser shows in <img> without running anything (an SVG image runs no script there).
const DATA_URI = /^data:image\/(?:png|jpeg|svg\+xml|webp);base64,(?=.)(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const LOCAL_HOSTS = ['localhost', '127.0.0.1'];

/**
 * The branding fields of a policy (patch), normalised: trimmed name, lowercase colour, the URL as
 * the WHATWG parser writes it. "" stays "" so that an update can clear a field.
 */
export function checkBranding(p: TenantPolicy): TenantPolicy {
  const out = { ...p };
  if (p.displayName !== undefined) out.displayName = checkDisplayName(p.displayName);
  if (p.logoUrl !== undefined) out.logoUrl = checkLogoUrl(p.logoUrl);
  if (p.primaryColor !== undefined && p.primaryColor !== '') {
    if (!COLOR.test(p.primaryColor)) throw invalidArgument('policy.primary_color', 'a #rrggbb hex colour, like #1f6feb');
    out.primaryColor = p.primaryColor.toLowerCase();
  }
  return out;
}

function checkDisplayName(v: string): string {
  const name = v.trim();
  if ([...name].length > DISPLAY_NAME_MAX) throw invalidArgument('policy.display_name', `at most ${DISPLAY_NAME_MAX} characters`);
  if (CONTROL.test(name)) throw invalidArgument('policy.display_name', 'no control characters');
  return name;
}

function checkLogoUrl(v: string): string {
  if (v === '') return v;
  if (v.startsWith('data:')) {
    if (v.length > LOGO_DATA_URI_MAX) throw invalidArgument('policy.logo_url', `a data URI of at most ${LOGO_DATA_URI_MAX} characters`);
    if (!DATA_URI.test(v)) {
      throw invalidArgument('policy.logo_url', 'a data URI must be data:image/png, jpeg, svg+xml or webp;base64, then base64');
    }
    return v;
  }
  const bad = (why: string) => invalidArgument('policy.logo_url', `an absolute https URL (http only for localhost): ${why}`);
  // The URL parser would quietly drop or encode these; a pasted URL with them is a mistake.
  if (/[\s\p{Cc}]/u.test(v)) throw bad('no spaces or control characters');
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw bad('not a URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HOSTS.includes(url.hostname))) {
    throw bad(`${url.protocol.slice(0, -1)} is not allowed`);
  }
  if (url.username || url.password) throw bad('no user name or password');
  if (url.href.length > LOGO_URL_MAX) throw bad(`at most ${LOGO_URL_MAX} characters`);
  return url.href;
}
