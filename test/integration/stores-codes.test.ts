// The CodeStore contract (src/domain/ports.ts), on every backend: send slots under the resend gap,
// the daily limit and the captcha threshold; exact attempt counting; one-time verification tokens.
import { expect, it } from 'vitest';
import type { CodeStore, SendLimits, StoredCode } from '../../src/domain/ports.js';
import { describeStores, unique } from '../helpers/stores.js';

const LIMITS: SendLimits = { resendSeconds: 60, dailyLimit: 10, windowSeconds: 86400, captchaAfter: 3, captchaSolved: false };
const code = (over: Partial<StoredCode> = {}): StoredCode => ({
  mac: 'a'.repeat(64),
  tenantId: 't1',
  userType: 'P',
  channel: 'sms',
  destination: '+8613800000000',
  usage: 'sign_in',
  userId: '',
  ...over,
});
const ANY = { tenantId: '', destination: '' };

describeStores('CodeStore contract', (opened) => {
  const store = (): CodeStore => opened().stores.codes;

  it('takes a send, then answers the resend gap with the seconds left; destinations apart', async () => {
    const d = unique('dest');
    expect(await store().reserveSend(d, 's1', LIMITS)).toEqual({ outcome: 'ok', sends: 1 });
    const gap = await store().reserveSend(d, 's2', LIMITS);
    expect(gap.outcome).toBe('gap');
    expect(gap.outcome === 'gap' && gap.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(gap.outcome === 'gap' && gap.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(await store().reserveSend(unique('dest'), 's3', LIMITS)).toEqual({ outcome: 'ok', sends: 1 });
  });

  it('lets one of many parallel sends to a destination through', async () => {
    const d = unique('dest');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => store().reserveSend(d, `s${i}`, LIMITS)));
    expect(answers.filter((a) => a.outcome === 'ok')).toHaveLength(1);
    expect(answers.filter((a) => a.outcome === 'gap')).toHaveLength(19);
  });

  it('asks for a captcha past captchaAfter sends, and stops at the daily limit', async () => {
    const d = unique('dest');
    const l = { ...LIMITS, resendSeconds: 0, dailyLimit: 4, captchaAfter: 2 };
    expect(await store().reserveSend(d, 'a', l)).toEqual({ outcome: 'ok', sends: 1 });
    expect(await store().reserveSend(d, 'b', l)).toEqual({ outcome: 'ok', sends: 2 });
    expect(await store().reserveSend(d, 'c', l)).toEqual({ outcome: 'captcha', sends: 2 });
    expect(await store().reserveSend(d, 'c', { ...l, captchaSolved: true })).toEqual({ outcome: 'ok', sends: 3 });
    expect(await store().reserveSend(d, 'd', { ...l, captchaSolved: true })).toEqual({ outcome: 'ok', sends: 4 });
    const day = await store().reserveSend(d, 'e', { ...l, captchaSolved: true });
    expect(day.outcome).toBe('day');
    expect(day.outcome === 'day' && day.retryAfterSeconds).toBeGreaterThan(86000);
  });

  it('gives a send back: the gap only while it still holds the slot, and one count', async () => {
    const d = unique('dest');
    const l = { ...LIMITS, dailyLimit: 1 };
    await store().reserveSend(d, 'mine', l);
    await store().releaseSend(d, 'other');
    expect((await store().reserveSend(d, 'x', l)).outcome).toBe('gap');
    await store().releaseSend(d, 'mine');
    expect(await store().reserveSend(d, 'again', l)).toEqual({ outcome: 'ok', sends: 1 });
    // Giving back more than was taken never counts below zero.
    const e = unique('dest');
    await store().releaseSend(e, 'none');
    expect(await store().reserveSend(e, 'first', l)).toEqual({ outcome: 'ok', sends: 1 });
  });

  it('exchanges a right code once; a right code under another tenant or destination is wrong', async () => {
    const id = unique('code');
    await store().saveCode(id, code(), 300);
    expect(await store().checkCode(id, { mac: 'a'.repeat(64), tenantId: 't2', destination: '' }, 5, 300)).toEqual({
      outcome: 'wrong',
      attemptsLeft: 4,
    });
    expect(await store().checkCode(id, { mac: 'a'.repeat(64), tenantId: 't1', destination: '+1' }, 5, 300)).toEqual({
      outcome: 'wrong',
      attemptsLeft: 3,
    });
    expect(await store().checkCode(id, { mac: 'a'.repeat(64), tenantId: 't1', destination: '+8613800000000' }, 5, 300)).toEqual({
      outcome: 'ok',
      code: code(),
    });
    expect(await store().checkCode(id, { mac: 'a'.repeat(64), ...ANY }, 5, 300)).toEqual({ outcome: 'gone' });
  });

  it('burns a code at its last wrong attempt, and allows exactly maxAttempts in parallel', async () => {
    const id = unique('code');
    await store().saveCode(id, code(), 300);
    const wrongs = [];
    for (let i = 0; i < 3; i++) wrongs.push(await store().checkCode(id, { mac: 'b', ...ANY }, 3, 300));
    expect(wrongs).toEqual([2, 1, 0].map((attemptsLeft) => ({ outcome: 'wrong', attemptsLeft })));
    expect(await store().checkCode(id, { mac: 'a'.repeat(64), ...ANY }, 3, 300)).toEqual({ outcome: 'gone' });

    const parallel = unique('code');
    await store().saveCode(parallel, code(), 300);
    const answers = await Promise.all(Array.from({ length: 30 }, () => store().checkCode(parallel, { mac: 'b', ...ANY }, 5, 300)));
    const left = answers
      .filter((a) => a.outcome === 'wrong')
      .map((a) => (a.outcome === 'wrong' ? a.attemptsLeft : -1))
      .sort();
    expect(left).toEqual([0, 1, 2, 3, 4]);
    expect(answers.filter((a) => a.outcome === 'gone')).toHaveLength(25);
  });

  it('forgets a deleted, unknown or expired code', async () => {
    const id = unique('code');
    await store().saveCode(id, code(), 300);
    await store().deleteCode(id);
    expect(await store().checkCode(id, { mac: 'a'.repeat(64), ...ANY }, 5, 300)).toEqual({ outcome: 'gone' });
    expect(await store().checkCode(unique('code'), { mac: 'a'.repeat(64), ...ANY }, 5, 300)).toEqual({ outcome: 'gone' });
    const brief = unique('code');
    await store().saveCode(brief, code(), 1);
    const token = unique('token');
    const { mac: _, ...verified } = code();
    await store().saveToken(token, verified, 1);
    const d = unique('dest');
    await store().reserveSend(d, 's', { ...LIMITS, resendSeconds: 1 });
    await opened().elapse(1100);
    expect(await store().checkCode(brief, { mac: 'a'.repeat(64), ...ANY }, 5, 300)).toEqual({ outcome: 'gone' });
    expect(await store().takeToken(token)).toBeNull();
    expect(await store().reserveSend(d, 's2', { ...LIMITS, resendSeconds: 1 })).toEqual({ outcome: 'ok', sends: 2 });
  });

  it('spends a verification token once', async () => {
    const token = unique('token');
    const { mac: _, ...verified } = code({ usage: '' });
    await store().saveToken(token, verified, 600);
    const taken = await Promise.all(Array.from({ length: 5 }, () => store().takeToken(token)));
    expect(taken.filter((t) => t !== null)).toEqual([verified]);
    expect(await store().takeToken(unique('token'))).toBeNull();
  });
});
