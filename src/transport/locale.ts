import type { Locale } from './context.js';

// Headers are client-controlled: parsing stops after this many entries so that a huge
// Accept-Language costs nothing.
const MAX_ENTRIES = 16;

function localeOf(tag: string): Locale | undefined {
  const t = tag.toLowerCase();
  if (t === 'zh' || t.startsWith('zh-') || t.startsWith('zh_')) return 'zh-CN';
  if (t === 'en' || t.startsWith('en-') || t.startsWith('en_')) return 'en';
  return undefined;
}

/**
 * The best supported locale of an Accept-Language header (RFC 9110 q-values; ties keep header
 * order): zh* → zh-CN, en* → en. `*`, unsupported languages or a missing header give fallback.
 */
export function pickLocale(acceptLanguage: string | undefined, fallback: Locale): Locale {
  if (!acceptLanguage) return fallback;
  // The common single-tag header ("zh-CN", "en") skips the general parse.
  if (acceptLanguage.indexOf(',') < 0 && acceptLanguage.indexOf(';') < 0) {
    return localeOf(acceptLanguage.trim()) ?? fallback;
  }
  let best: Locale | undefined;
  let bestQ = 0;
  const parts = acceptLanguage.split(',', MAX_ENTRIES);
  for (const part of parts) {
    const semi = part.indexOf(';');
    const tag = (semi < 0 ? part : part.slice(0, semi)).trim();
    let q = 1;
    if (semi >= 0) {
      const m = /;\s*q\s*=\s*([^;]*)/i.exec(part.slice(semi));
      if (m) {
        // RFC 9110 qvalue; an entry with a malformed one is dropped rather than guessed at.
        if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*$/.test(m[1])) continue;
        q = Number(m[1]);
      }
    }
    if (q <= bestQ) continue;
    const loc = localeOf(tag);
    if (loc) {
      best = loc;
      bestQ = q;
    }
  }
  return best ?? fallback;
}
