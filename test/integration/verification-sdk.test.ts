// The official CloudBase JS SDK (@cloudbase/oauth 3.3.3) through code sign-in and its captcha flow,
// against a real Signet on PostgreSQL + Redis, unchanged: getVerification → verify → signIn with
// the verification token, and captcha_required → captcha/data → captcha/data/verify → retry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudbaseOAuth } from '@cloudbase/oauth';
import { dropSchema, seed, startTestSignet, type TestSignet } from '../helpers/signet.js';
import { memoryStorage, solveCaptcha } from '../helpers/cloudbase.js';
import { startCodeHook, type CodeHook } from './verification-hook.js';

describe('@cloudbase/oauth 3.3.3: code sign-in and captcha against Signet (PostgreSQL + Redis)', () => {
  let s: TestSignet;
  let hook: CodeHook;
  let fx: Awaited<ReturnType<typeof seed>>;
  /** The flows (states) the SDK showed a captcha image for. */
  const shown: string[] = [];

  const solve = (token: string) => solveCaptcha(s, token);

  const browser = () => {
    const storage = memoryStorage();
    const sdk: CloudbaseOAuth = new CloudbaseOAuth({
      apiOrigin: s.http,
      clientId: 'web',
      env: 'acme',
      storage,
      captchaOptions: {
        // What the SDK's captcha page does: show the image, read the answer, verify it.
        openURIWithCallback: async (url: string) => {
          const q = new URLSearchParams(url.slice(url.lastIndexOf('?') + 1));
          expect(url.startsWith('data:image/svg+xml;base64,')).toBe(true);
          shown.push(q.get('state')!);
          const token = q.get('token')!;
          const r = await sdk.authApi.verifyCaptchaData({ token, key: (await solve(token)).toUpperCase() });
          return r as any;
        },
      },
    } as ConstructorParameters<typeof CloudbaseOAuth>[0]);
    return { sdk, storage };
  };

  beforeAll(async () => {
    hook = await startCodeHook();
    s = await startTestSignet({ backend: 'postgres', env: { ...hook.env(), SIGNET_CODE_RESEND_SECONDS: '0' } });
    fx = await seed(s);
  });
  afterAll(async () => {
    await s?.stop();
    await hook?.close();
    await dropSchema(s?.schema);
  });

  it('sends a code, verifies it and signs in with the verification token', async () => {
    const { sdk, storage } = browser();
    const v = await sdk.authApi.getVerification({ phone_number: '13800000000' });
    expect(v).toMatchObject({ verification_id: expect.stringMatching(/^[0-9a-f]{32}$/), is_user: true });
    const { verification_token } = await sdk.authApi.verify({
      verification_id: v.verification_id!,
      verification_code: hook.codeFor('+8613800000000'),
    });
    expect(verification_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const creds = await sdk.authApi.signIn({ username: '+86 13800000000', verification_token });
    expect(creds.sub).toBe(fx.userId);
    expect(JSON.parse(storage.map.get('credentials_web')!).refresh_token).toBe(creds.refresh_token);
  });

  it('throws verification_invalid with limit_remaining for a wrong code: one attempt, no image captcha', async () => {
    const { sdk } = browser();
    const v = await sdk.authApi.getVerification({ email: 'alice@example.com' });
    const code = hook.codeFor('alice@example.com');
    shown.length = 0;
    const err = await sdk.authApi
      .verify({ verification_id: v.verification_id!, verification_code: code === '000000' ? '111111' : '000000' })
      .then(
        () => undefined,
        (e: unknown) => e as any,
      );
    expect(err).toMatchObject({ error: 'verification_invalid' });
    // The SDK retries only captcha_required/captcha_invalid (after an image captcha) and, in its
    // client, 'unreachable'; any other error is thrown as it came. So the wrong code was compared
    // once: no image shown, 4 attempts left, not 3.
    expect(shown).toEqual([]);
    expect(err.details[0].limit_remaining).toBe(4);
    // The code is not burned: the right one still verifies.
    const { verification_token } = await sdk.authApi.verify({ verification_id: v.verification_id!, verification_code: code });
    expect(verification_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(shown).toEqual([]);
  });

  it('solves the captcha the 4th send to a number asks for and retries, as the SDK does by itself', async () => {
    const { sdk } = browser();
    for (let i = 0; i < 3; i++) await sdk.authApi.getVerification({ phone_number: '13700000077' });
    shown.length = 0;
    const before = hook.deliveries.length;
    const v = await sdk.authApi.getVerification({ phone_number: '13700000077' });
    expect(v.verification_id).toMatch(/^[0-9a-f]{32}$/);
    expect(hook.deliveries.length).toBe(before + 1);
    expect(shown).toEqual(['POST:/v1/verification']);
  });
});
