// Image captchas (CloudBase's flow: captcha/data, captcha/data/verify, then a captcha token on the
// request that needed it) and HZERO's one-step form (captcha_key + captcha on the request itself).
//
// What the store holds, and why:
// - a challenge, under the SHA-256 of its token: the HMAC of the lower-cased answer and the flow
//   ("state") it unlocks. A stolen dump yields neither answers nor usable tokens.
// - a captcha token (256-bit), under its SHA-256: the state it was issued for.
// Every read takes the entry away in the same step: a challenge gets exactly one answer, right or wrong (so guessing costs
// one image per guess), and a captcha token opens exactly one request.
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { StoredChallenge } from '../ports.js';
import { SignetError } from '../errors.js';
import { randomToken, safeEqual, sha256Hex } from '../crypto/secrets.js';
import { lazyRequire } from '../lazy-module.js';

/** Readable in any case and unambiguous: no 0/o, 1/l/i, 9/g, 2/z, 5/s, u/v. */
const ALPHABET = 'abcdefhjkmnpqrtwxy34678';
/** 23^4 ≈ 280 000 answers: enough, since every guess costs a fresh image (one answer each). */
const LENGTH = 4;

// svg-captcha's d.ts omits its main export, the renderer of a given text: it draws the text we
// chose with crypto.randomInt (svg-captcha's own text comes from Math.random).
const drawSvg = lazyRequire<(text: string, options?: Record<string, unknown>) => string>('svg-captcha');

export interface RenderedCaptcha {
  /** The answer, as drawn (mixed case; compared case-insensitively). */
  text: string;
  /** A complete SVG document. */
  svg: string;
}

/** Draws a new random captcha. Also for an HZERO image endpoint that converts it to PNG/JPEG. */
export function renderCaptcha(opts: { width?: number; height?: number; length?: number } = {}): RenderedCaptcha {
  let text = '';
  const length = opts.length ?? LENGTH;
  for (let i = 0; i < length; i++) {
    const c = ALPHABET[randomInt(ALPHABET.length)];
    // Random case: drawn letters look their case, but the user need not type it.
    text += randomInt(2) === 0 ? c : c.toUpperCase();
  }
  const svg = drawSvg()(text, { width: opts.width ?? 120, height: opts.height ?? 40, fontSize: 44, noise: 3 });
  return { text, svg };
}

/** The answer is bound to its challenge, so a stored value cannot be replayed under another. */
const answerMac = (deps: Deps, token: string, answer: string) =>
  createHmac('sha256', deps.hmacKey).update(`captcha\n${token}\n${answer.trim().toLowerCase()}`).digest('hex');

export interface CaptchaChallenge {
  /** Identifies the challenge (32 hex, the shape of HZERO's captchaKey). */
  token: string;
  svg: string;
  expiresIn: number;
}

/**
 * Makes and stores a challenge for the flow `state` (e.g. "POST:/v1/signin"). `render` draws it:
 * another size for another dialect, or a known text in tests.
 */
export async function createCaptchaChallenge(
  deps: Deps,
  req: { state: string },
  render: () => RenderedCaptcha = renderCaptcha,
): Promise<CaptchaChallenge> {
  const ttl = deps.settings.defence.captchaTtlSeconds;
  const token = randomBytes(16).toString('hex');
  const { text, svg } = render();
  await deps.stores.captcha.saveChallenge(sha256Hex(token), { answerMac: answerMac(deps, token, text), state: req.state }, ttl);
  return { token, svg, expiresIn: ttl };
}

export interface CaptchaData {
  token: string;
  /** The image as a data URL (SVG, base64). */
  data: string;
  type: 'image';
  expiresIn: number;
}

/** CloudBase's captcha/data answer. */
export async function createCaptcha(deps: Deps, req: { state: string }): Promise<CaptchaData> {
  const c = await createCaptchaChallenge(deps, req);
  const data = `data:image/svg+xml;base64,${Buffer.from(c.svg).toString('base64')}`;
  return { token: c.token, data, type: 'image', expiresIn: c.expiresIn };
}

/** Burns the challenge and tells whether `answer` was right; its state, when it was. */
async function burn(deps: Deps, token: string, answer: string): Promise<StoredChallenge | null> {
  if (!token) return null;
  const stored = await deps.stores.captcha.takeChallenge(sha256Hex(token));
  if (!stored || !answer || !safeEqual(answerMac(deps, token, answer), stored.answerMac)) return null;
  return stored;
}

export interface CaptchaToken {
  captchaToken: string;
  expiresIn: number;
}

/**
 * CloudBase's captcha/data/verify: a right answer yields a single-use captcha token for the
 * challenge's state. Wrong, unknown or expired: `captcha_invalid`, and the challenge is gone
 * either way.
 */
export async function verifyCaptcha(deps: Deps, token: string, key: string): Promise<CaptchaToken> {
  const stored = await burn(deps, token, key);
  if (!stored) throw new SignetError('captcha_invalid', 'captcha_unknown');
  const ttl = deps.settings.defence.captchaTtlSeconds;
  const captchaToken = randomToken(32);
  await deps.stores.captcha.saveToken(sha256Hex(captchaToken), stored.state, ttl);
  return { captchaToken, expiresIn: ttl };
}

/**
 * Spends a captcha token: true when it existed and was issued for one of `states`. A token is
 * spent by any presentation, also one for another state, so it cannot be probed.
 */
export async function consumeCaptchaToken(deps: Deps, captchaToken: string, states: string[]): Promise<boolean> {
  if (!captchaToken) return false;
  const state = await deps.stores.captcha.takeToken(sha256Hex(captchaToken));
  return state !== null && states.includes(state);
}

/** HZERO's one step (captcha_key + captcha on the request): burns the challenge; true when right. */
export async function answerCaptcha(deps: Deps, challengeToken: string, answer: string): Promise<boolean> {
  return (await burn(deps, challengeToken, answer)) !== null;
}

const CHALLENGE_ID = /^[0-9a-f]{32}$/;

/**
 * A challenge whose picture is fetched separately (HZERO's captchaKey, then its image): the
 * request is counted against the IP's rate limit first (each challenge costs a render and a
 * stored picture), and the picture, drawn by `toImage` (the dialect's format), is kept beside the
 * challenge for its life. Fetching it neither reveals the answer (stored only as an HMAC) nor
 * spends the challenge. Returns the challenge id.
 */
export async function createCaptchaWithImage(
  deps: Deps,
  req: { ip: string; state: string },
  toImage: (svg: string) => Buffer,
  render?: () => RenderedCaptcha,
): Promise<string> {
  await deps.limiter.checkRequest(req.ip, '');
  const c = await createCaptchaChallenge(deps, { state: req.state }, render);
  await deps.stores.captcha.saveImage(sha256Hex(c.token), toImage(c.svg), c.expiresIn);
  return c.token;
}

/** The picture of a live challenge, or null (unknown, expired, or not a challenge id at all). */
export async function captchaImage(deps: Deps, id: string): Promise<Buffer | null> {
  return CHALLENGE_ID.test(id) ? deps.stores.captcha.image(sha256Hex(id)) : null;
}
