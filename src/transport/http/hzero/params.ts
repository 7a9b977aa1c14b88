// HZERO's requests: the parameters of the hand-written routes (../params.ts), and HZERO's own way
// of naming the language.
import type { CallContext, Locale } from '../../context.js';
import { pickLocale } from '../../locale.js';
import type { Params } from '../params.js';

/** HZERO's `lang` parameter (zh_CN, en_US) wins; else Accept-Language; else the default. */
export function localeOf(p: Params, ctx: CallContext): Locale {
  const lang = p.get('lang');
  return lang ? pickLocale(lang.replace(/_/g, '-'), ctx.locale) : ctx.locale;
}
