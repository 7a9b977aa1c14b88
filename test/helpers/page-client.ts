// A browser without a browser, for the hosted pages' protocol tests: a cookie jar, redirects not
// followed, and the forms of a page read from its HTML (action and hidden fields). Also the PKCE
// pair an authorization request carries, for these tests and the real-browser ones.
import { createHash, randomBytes } from 'node:crypto';

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface PageAnswer {
  status: number;
  headers: Headers;
  html: string;
  location: string | null;
}

export interface FormOnPage {
  action: string;
  fields: Record<string, string>;
}

export class PageClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<PageAnswer> {
    return this.send('GET', path, undefined, headers);
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<PageAnswer> {
    return this.send('POST', path, new URLSearchParams(form).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    });
  }

  /**
   * Submits the page's form whose action starts with `actionPrefix` (and whose hidden fields
   * include `having`), with `fill` over its hidden fields.
   */
  submit(
    page: PageAnswer,
    actionPrefix: string,
    fill: Record<string, string> = {},
    having: Record<string, string> = {},
  ): Promise<PageAnswer> {
    const form = formsOf(page.html).find(
      (f) => f.action.startsWith(actionPrefix) && Object.entries(having).every(([k, v]) => f.fields[k] === v),
    );
    if (!form) throw new Error(`no form to ${actionPrefix} on the page:\n${page.html}`);
    return this.post(form.action, { ...form.fields, ...fill });
  }

  private async send(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<PageAnswer> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(new URL(path, this.base), {
      method,
      body,
      redirect: 'manual',
      headers: { 'accept-language': 'en', ...(cookie ? { cookie } : {}), ...headers },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, headers: res.headers, html: await res.text(), location: res.headers.get('location') };
  }
}

const unescapeHtml = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');

export function formsOf(html: string): FormOnPage[] {
  const out: FormOnPage[] = [];
  for (const m of html.matchAll(/<form\b[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const h of m[2].matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields[unescapeHtml(h[1])] = unescapeHtml(h[2]);
    out.push({ action: unescapeHtml(m[1]), fields });
  }
  return out;
}
