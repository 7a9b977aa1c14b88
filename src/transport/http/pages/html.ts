// The hosted pages' markup: one layout (the tenant's name, logo and colour; no external
// resources; a nonce for its one style sheet and script) and small views. Everything
// interpolated goes through esc(); colours are checked to be #rrggbb before they reach CSS.
import { randomBytes } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Locale } from '../../context.js';

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface Brand {
  name: string;
  logoUrl: string | null;
  primaryColor: string;
}

const DEFAULT_COLOR = '#1f6feb';
const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

export interface Page {
  status: number;
  headers: OutgoingHttpHeaders;
  body: string;
}

export interface Layout {
  locale: Locale;
  title: string;
  brand: Brand;
  body: string;
  /** Where the page's forms may lead, besides this server (a client's redirect URI). */
  formTargets?: string[];
  script?: string;
  status?: number;
}

const CSS = `*{box-sizing:border-box}body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
background:#f4f5f7;font:16px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;color:#1d2125}
main{width:100%;max-width:24rem;margin:1rem;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
header{display:flex;align-items:center;gap:.75rem;margin-bottom:1rem}header img{max-height:2.5rem;max-width:8rem}
.tenant{font-weight:600;font-size:1.1rem}h1{font-size:1.35rem;margin:.25rem 0 1rem}
label{display:block;margin:.75rem 0 .25rem;font-size:.9rem;font-weight:500}
input[type=text],input[type=password],input[type=email],input[type=tel]{width:100%;padding:.6rem .7rem;border:1px solid #b6bcc4;border-radius:.4rem;font:inherit}
input:focus,button:focus,a:focus{outline:3px solid var(--brand);outline-offset:1px}
button{width:100%;margin-top:1rem;padding:.65rem;border:0;border-radius:.4rem;background:var(--brand);color:#fff;font:inherit;font-weight:600;cursor:pointer}
button.secondary{background:#fff;color:#1d2125;border:1px solid #b6bcc4}
.row{display:flex;gap:.75rem}.row button{flex:1}
.alert{padding:.6rem .75rem;border-radius:.4rem;background:#fdecea;color:#8a1c12;margin:0 0 1rem}
.notice{padding:.6rem .75rem;border-radius:.4rem;background:#e7f3ec;color:#1a5632;margin:0 0 1rem}
.muted{color:#5c6670;font-size:.9rem}.captcha img{display:block;margin:.25rem 0;border:1px solid #d8dce0;border-radius:.3rem;background:#fff}
hr{border:0;border-top:1px solid #e3e6ea;margin:1.5rem 0}ul{padding-left:1.2rem}a{color:var(--brand)}`;

export function layout(l: Layout): Page {
  const nonce = randomBytes(16).toString('base64');
  const color = HEX_COLOR.test(l.brand.primaryColor) ? l.brand.primaryColor : DEFAULT_COLOR;
  const logo = l.brand.logoUrl ? `<img src="${esc(l.brand.logoUrl)}" alt="">` : '';
  const body = `<!doctype html>
<html lang="${l.locale === 'zh-CN' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${esc(l.title)} · ${esc(l.brand.name)}</title>
<style nonce="${nonce}">:root{--brand:${color}}${CSS}</style></head>
<body><main aria-labelledby="title"><header>${logo}<span class="tenant">${esc(l.brand.name)}</span></header>
<h1 id="title">${esc(l.title)}</h1>
${l.body}</main>${l.script ? `<script nonce="${nonce}">${l.script}</script>` : ''}</body></html>
`;
  return { status: l.status ?? 200, headers: pageHeaders(nonce, l.formTargets ?? []), body };
}

/**
 * Nothing loads from elsewhere but images (a tenant's logo), nothing may frame the page
 * (clickjacking a sign-in or a consent), forms go only here or to the client's redirect URI
 * (browsers check form-action along the redirect a form's answer makes), and nothing is cached.
 */
function pageHeaders(nonce: string, formTargets: string[]): OutgoingHttpHeaders {
  const origins = [...new Set(formTargets.map(originOf).filter((o): o is string => o !== null))];
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
      'img-src data: https:',
      `form-action 'self' ${origins.join(' ')}`.trim(),
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  };
}

function originOf(uri: string): string | null {
  try {
    return new URL(uri).origin;
  } catch {
    return null;
  }
}

export const alert = (message: string): string => (message ? `<p class="alert" role="alert">${esc(message)}</p>` : '');
export const notice = (message: string): string => (message ? `<p class="notice" role="status">${esc(message)}</p>` : '');

export function hidden(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
}

export interface FieldOptions {
  type?: 'text' | 'password' | 'email' | 'tel';
  value?: string;
  autocomplete?: string;
  /** No name: typed here, sent through another field (RSA transport). */
  unnamed?: boolean;
  autofocus?: boolean;
  inputmode?: string;
}

export function field(id: string, label: string, o: FieldOptions = {}): string {
  const attrs = [
    `id="${esc(id)}"`,
    o.unnamed ? '' : `name="${esc(id)}"`,
    `type="${o.type ?? 'text'}"`,
    o.value ? `value="${esc(o.value)}"` : '',
    o.autocomplete ? `autocomplete="${esc(o.autocomplete)}"` : '',
    o.inputmode ? `inputmode="${esc(o.inputmode)}"` : '',
    o.autofocus ? 'autofocus' : '',
    'required',
  ].filter(Boolean);
  return `<label for="${esc(id)}">${esc(label)}</label><input ${attrs.join(' ')}>`;
}
