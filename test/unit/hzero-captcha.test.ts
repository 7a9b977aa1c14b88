// HZERO's captcha picture: a real PNG of the domain's challenge, fetched without touching it.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fakeDeps } from '../helpers/fakes.js';
import { answerCaptcha, renderCaptcha } from '../../src/domain/defence/captcha.js';
import { HZERO_CAPTCHA_STATE, svgToPng } from '../../src/transport/http/hzero/captcha.js';
import { captchaImage, createCaptchaWithImage, type RenderedCaptcha } from '../../src/domain/defence/captcha.js';
import type { Deps } from '../../src/domain/deps.js';

const createCaptchaImage = (deps: Deps, render?: () => RenderedCaptcha) =>
  createCaptchaWithImage(deps, { ip: '', state: HZERO_CAPTCHA_STATE }, svgToPng, render);

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The chunks of a PNG, checking the layout (length, type, data, CRC) on the way. */
function chunks(png: Buffer): Array<{ type: string; data: Buffer }> {
  expect(png.subarray(0, 8)).toEqual(SIGNATURE);
  const out = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    out.push({ type: png.toString('latin1', at + 4, at + 8), data: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

describe('the HZERO captcha picture', () => {
  it("is a PNG of the captcha's size that decodes, with ink on a white ground", () => {
    const png = svgToPng(renderCaptcha().svg);
    const cs = chunks(png);
    expect(cs[0].type).toBe('IHDR');
    expect(cs.at(-1)!.type).toBe('IEND');
    const ihdr = cs[0].data;
    const [width, height, depth, colour] = [ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]];
    expect([width, height]).toEqual([120, 40]);
    expect(depth).toBe(8);
    expect(colour).toBe(6); // RGBA
    // The pixel data inflates to one filter byte plus width × 4 bytes per row.
    const raw = inflateSync(Buffer.concat(cs.filter((c) => c.type === 'IDAT').map((c) => c.data)));
    expect(raw.length).toBe(height * (1 + width * 4));
    // Opaque (the white ground; every filter leaves a row's first pixel as it is on row one) and
    // not blank.
    expect(raw[4]).toBe(255);
    expect(new Set(raw).size).toBeGreaterThan(2);
  });

  it('is stored with the challenge, fetched as often as asked, and leaves the answer alone', async () => {
    const deps = await fakeDeps();
    const key = await createCaptchaImage(deps, () => ({ text: 'wxyz', svg: renderCaptcha().svg }));
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    const first = await captchaImage(deps, key);
    expect(first!.subarray(0, 8)).toEqual(SIGNATURE);
    expect(await captchaImage(deps, key)).toEqual(first);
    expect(await captchaImage(deps, 'f'.repeat(32))).toBeNull();
    expect(await captchaImage(deps, '../etc')).toBeNull();
    // Fetching spent nothing: the right answer still opens it, once.
    expect(await answerCaptcha(deps, key, 'WXYZ')).toBe(true);
    expect(await answerCaptcha(deps, key, 'wxyz')).toBe(false);
  });
});
