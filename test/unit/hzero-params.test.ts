// HZERO's parameters: query string and form body as a Spring back end reads them.
import { describe, expect, it } from 'vitest';
import { localeOf } from '../../src/transport/http/hzero/params.js';
import { Params, parseForm } from '../../src/transport/http/params.js';
import type { CallContext } from '../../src/transport/context.js';

const ctx = (locale: CallContext['locale']): CallContext => ({ metadata: {}, clientIp: '127.0.0.1', locale, requestId: 'r' });

describe('parseForm', () => {
  it('decodes pairs, + as space and percent-escapes; the first value of a name wins', () => {
    const m = parseForm('grant_type=password&username=a%40b.com&password=p+w%2Bx&username=second&flag&=x&&');
    expect([...m]).toEqual([
      ['grant_type', 'password'],
      ['username', 'a@b.com'],
      ['password', 'p w+x'],
      ['flag', ''],
    ]);
  });

  it('adds to what the query string gave without replacing it', () => {
    const m = parseForm('body=1&client_id=form', parseForm('client_id=query'));
    expect(Object.fromEntries(m)).toEqual({ client_id: 'query', body: '1' });
  });

  it('keeps UTF-8 and refuses malformed escapes as invalid_argument', () => {
    expect(parseForm('name=%E5%BC%A0%E4%B8%89').get('name')).toBe('张三');
    expect(() => parseForm('a=%E5%BC')).toThrow(expect.objectContaining({ reason: 'invalid_argument' }));
    expect(() => parseForm('a=%zz')).toThrow(expect.objectContaining({ reason: 'invalid_argument' }));
  });

  it('treats __proto__ as just a name', () => {
    const m = parseForm('__proto__=x&constructor=y');
    expect(new Params(m).get('__proto__')).toBe('x');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('Params', () => {
  it('answers the first present of several spellings, else empty', () => {
    const p = new Params(
      new Map([
        ['captcha_key', 'k'],
        ['captchaKey', 'K'],
      ]),
    );
    expect(p.get('captchaKey', 'captcha_key')).toBe('K');
    expect(p.get('missing', 'captcha_key')).toBe('k');
    expect(p.get('none')).toBe('');
    expect(p.has('captcha_key')).toBe(true);
  });
});

describe('localeOf', () => {
  it("takes HZERO's lang (en_US, zh_CN), else the Accept-Language locale of the call", () => {
    expect(localeOf(new Params(new Map([['lang', 'en_US']])), ctx('zh-CN'))).toBe('en');
    expect(localeOf(new Params(new Map([['lang', 'zh_CN']])), ctx('en'))).toBe('zh-CN');
    expect(localeOf(new Params(new Map([['lang', 'fr_FR']])), ctx('en'))).toBe('en');
    expect(localeOf(new Params(new Map()), ctx('en'))).toBe('en');
  });
});
