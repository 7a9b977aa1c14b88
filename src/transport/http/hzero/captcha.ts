// HZERO's image captcha in two calls: /oauth/public/captcha-code makes a challenge (the domain's,
// defence/captcha.ts: its id is the captchaKey) and /oauth/public/captcha/{captchaKey} serves
// its picture, rendered to PNG here (HZERO's pages want an image) once, when it is made.
import { lazyRequire } from '../../../domain/lazy-module.js';

const resvg = lazyRequire<typeof import('@resvg/resvg-js')>('@resvg/resvg-js');

/** The flow HZERO's challenges are made for (answered in one step on the token endpoint). */
export const HZERO_CAPTCHA_STATE = 'POST:/oauth/oauth/token';

/**
 * svg-captcha draws its glyphs as paths, so no font is needed. A white background, because the
 * SVG has none and a transparent PNG would vanish on a dark page.
 */
export function svgToPng(svg: string): Buffer {
  const { Resvg } = resvg();
  return new Resvg(svg, { background: '#ffffff', fitTo: { mode: 'original' } }).render().asPng();
}
