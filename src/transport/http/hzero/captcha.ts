// HZERO's image captcha in two calls: /oauth/public/captcha-code makes a challenge (the domain's,
// defence/captcha.ts: its token is the captchaKey) and /oauth/public/captcha/{captchaKey} serves
// its picture. The picture is rendered to PNG once, when the challenge is made, and kept in the
// key-value store beside it for the challenge's life: fetching it (as often as a page reloads it)
// only reads that copy, so it neither reveals the answer, which is stored only as an HMAC, nor
// spends or changes the challenge, which only an answer does.
import { Resvg } from '@resvg/resvg-js';
import type { Deps } from '../../../domain/deps.js';
import { createCaptchaChallenge, type RenderedCaptcha } from '../../../domain/defence/captcha.js';
import { sha256Hex } from '../../../domain/crypto/secrets.js';

/** The flow HZERO's challenges are made for (answered in one step on the token endpoint). */
export const HZERO_CAPTCHA_STATE = 'POST:/oauth/oauth/token';
const CAPTCHA_KEY = /^[0-9a-f]{32}$/;
const imageKey = (captchaKey: string) => `hzero-captcha-png:{${sha256Hex(captchaKey)}}`;

/**
 * svg-captcha draws its glyphs as paths, so no font is needed. A white background, because the
 * SVG has none and a transparent PNG would vanish on a dark page.
 */
export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { background: '#ffffff', fitTo: { mode: 'original' } }).render().asPng();
}

/** A new challenge with its picture stored; returns the captchaKey. `render` is for tests. */
export async function createCaptchaImage(deps: Deps, render?: () => RenderedCaptcha): Promise<string> {
  const c = await createCaptchaChallenge(deps, { state: HZERO_CAPTCHA_STATE }, render);
  await deps.kv.set(imageKey(c.token), svgToPng(c.svg).toString('base64'), c.expiresIn);
  return c.token;
}

/** The PNG of a live challenge, or null (unknown, expired, or not a captchaKey at all). */
export async function captchaImage(deps: Deps, captchaKey: string): Promise<Buffer | null> {
  if (!CAPTCHA_KEY.test(captchaKey)) return null;
  const b64 = await deps.kv.get(imageKey(captchaKey));
  return b64 === null ? null : Buffer.from(b64, 'base64');
}
