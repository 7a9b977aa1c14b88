// The CaptchaStore contract (src/domain/ports.ts), on every backend: challenges and captcha tokens
// are taken once, however many take them at once, and expire.
import { expect, it } from 'vitest';
import type { CaptchaStore } from '../../src/domain/ports.js';
import { describeStores, unique } from '../helpers/stores.js';

describeStores('CaptchaStore contract', (opened) => {
  const store = (): CaptchaStore => opened().stores.captcha;

  it('gives a challenge to exactly one taker', async () => {
    const id = unique('challenge');
    await store().saveChallenge(id, { answerMac: 'f'.repeat(64), state: 'POST:/v1/signin' }, 300);
    const taken = await Promise.all(Array.from({ length: 10 }, () => store().takeChallenge(id)));
    expect(taken.filter((c) => c !== null)).toEqual([{ answerMac: 'f'.repeat(64), state: 'POST:/v1/signin' }]);
    expect(await store().takeChallenge(id)).toBeNull();
    expect(await store().takeChallenge(unique('challenge'))).toBeNull();
  });

  it("gives a captcha token's state to exactly one taker", async () => {
    const token = unique('token');
    await store().saveToken(token, 'POST:/v1/verification', 300);
    const taken = await Promise.all(Array.from({ length: 10 }, () => store().takeToken(token)));
    expect(taken.filter((s) => s !== null)).toEqual(['POST:/v1/verification']);
    expect(await store().takeToken(unique('token'))).toBeNull();
  });

  it('lets challenges and tokens expire', async () => {
    const id = unique('challenge');
    const token = unique('token');
    const lasting = unique('token');
    await store().saveChallenge(id, { answerMac: 'a', state: 's' }, 1);
    await store().saveToken(token, 's', 1);
    await store().saveToken(lasting, 's', 60);
    await opened().elapse(1100);
    expect(await store().takeChallenge(id)).toBeNull();
    expect(await store().takeToken(token)).toBeNull();
    expect(await store().takeToken(lasting)).toBe('s');
  });
});
