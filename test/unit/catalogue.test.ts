// The message catalogue: complete for HZERO (every key of the HZERO reference, shared/reference/hzero-oauth-login.md),
// well-formed, rendered by every dialect from one entry, and the README table generated from it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REASONS, SignetError, type Reason } from '../../src/domain/errors.js';
import { HZERO_UNANSWERED, MESSAGES, messageFor, resolveMessage, type MessageId } from '../../src/transport/messages.js';
import { toStatus } from '../../src/transport/status.js';
import { catalogueMarkdown } from '../../scripts/catalogue.js';

/** Every key the HZERO reference names, with its Chinese text where the reference gives one. */
const HZERO_REFERENCE: Record<string, string | null> = {
  'hoth.warn.usernameNotFoundOrPasswordIsWrong': '您输入的账号或密码错误',
  'hoth.warn.usernameNotFound': '您输入的登录账户不存在',
  'hoth.warn.passwordError': '您输入的账号或密码错误，还可以尝试{0}次',
  'hoth.warn.loginErrorMaxTimes': '密码错误次数超过限制，您的账户已锁定！请通过找回密码解锁，或联系平台运维中心！',
  'hoth.warn.accountLocked': '您的账户已锁定，请通过找回密码解锁，或联系平台运维中心',
  'hoth.warn.accountExpire': '您的账户已过期，无法登录',
  'hoth.warn.userNotActive': '您的账号未激活，无法登录',
  'hoth.warn.tenantInvalid': '您的所属组织无效，请联系管理员',
  'hoth.warn.tenantDisabled': '您的所属组织已被禁用，请联系管理员',
  'hoth.warn.captchaNull': '请输入验证码',
  'hoth.warn.captchaNotnull': '请输入验证码',
  'hoth.warn.captchaWrong': '您输入的验证码有误',
  'hoth.warn.phoneNotFound': '您输入的手机号未注册',
  'hoth.warn.phoneNotCheck': '您的手机未验证，可使用邮箱或账号登录',
  'hoth.warn.emailNotCheck': '您的邮箱未验证，可使用手机或账号登录',
  'hoth.warn.phoneAndEmailNotCheck': '您的手机和邮箱均未验证，可使用账号登录',
  'hoth.warn.loginMobileCaptchaNull': '请输入手机验证码',
  'hoth.warn.ldapIsDisable': 'LDAP已被禁用',
  'hoth.warn.decodePasswordError': '解码密码错误',
  'hoth.warn.createClientError': '创建Token错误',
  'hoth.warn.clientNotFound': '未找到客户端！',
  'hoth.warn.roleNone': '您没有任何角色，请联系管理员分配角色',
  'hoth.warn.defaultTenantRoleNull': '您的默认租户下没有分配角色，请联系管理员分配角色',
  'hoth.warn.validCaptchaFirst': '请先验证手机/邮箱',
  'hoth.warn.accountNotEquals': '您的账号与验证的账号不一致',
  // Signet's text covers e-mail too: "发送验证码失败，请稍后重试".
  'hoth.warn.captcha.sendPhoneCaptchaError': null,
  'hoth.warn.phoneOrEmailNotnull': '请输入手机/邮箱',
  'hoth.warn.phoneOrEmailNotFound': '您输入的手机/邮箱不存在',
  'hoth.warn.phoneOrEmailNotInvalid': '您输入的手机/邮箱格式不正确',
  'hoth.user.phone.not-register': '手机未注册，请先注册后再登录',
  'hoth.warn.ldapCannotChangePassword': 'LDAP用户不能进行修改密码操作',
  'captcha.send.interval': '请{0}秒后再发送验证码',
  'captcha.validate.overdue': '验证码失效，请重新获取',
  'captcha.validate.incorrect': null,
  'captcha.validate.number-not-match': null,
  'captcha.validate.error.too-many-time': null,
  // Named by the endpoints' answers rather than the catalogue list.
  'captcha.send.phone': null,
  'captcha.send.time-over': null,
  'phone.format.incorrect': null,
};

const entries = Object.entries(MESSAGES) as [MessageId, (typeof MESSAGES)[MessageId]][];
const placeholders = (t: string) => [...t.matchAll(/\{(\d+)\}/g)].map((m) => m[1]).sort();

describe('the message catalogue', () => {
  it("knows every HZERO key of the reference, with HZERO's own Chinese text", () => {
    const answered = new Map<string, string[]>();
    for (const [, e] of entries) if (e.hzeroKey) answered.set(e.hzeroKey, [...(answered.get(e.hzeroKey) ?? []), e.zh]);
    for (const u of HZERO_UNANSWERED) {
      expect(answered.has(u.hzeroKey), `${u.hzeroKey} is answered and listed as never answered`).toBe(false);
      answered.set(u.hzeroKey, [u.zh]);
    }
    for (const [key, zh] of Object.entries(HZERO_REFERENCE)) {
      expect(answered.has(key), key).toBe(true);
      if (zh !== null) expect(answered.get(key), key).toContain(zh);
    }
  });

  it('has a plain entry for every reason, and variants named reason.variant of that reason', () => {
    for (const reason of Object.keys(REASONS) as Reason[]) expect(MESSAGES[reason]?.reason, reason).toBe(reason);
    for (const [id, e] of entries) {
      expect(id === e.reason || id.startsWith(`${e.reason}.`), id).toBe(true);
      expect(e.reason === 'ok' || Object.hasOwn(REASONS, e.reason), id).toBe(true);
    }
  });

  it('has both languages with the same placeholders, and a count-free fallback for every counted text', () => {
    for (const [id, e] of entries) {
      expect(e.zh.trim(), id).not.toBe('');
      expect(e.en.trim(), id).not.toBe('');
      expect(placeholders(e.zh), id).toEqual(placeholders(e.en));
      if (placeholders(e.zh).length > 0) {
        expect(e.withoutParams, id).toBeDefined();
        const fallback = MESSAGES[e.withoutParams as MessageId];
        expect(fallback?.reason, id).toBe(e.reason);
        expect(placeholders(fallback.zh), id).toEqual([]);
      }
    }
  });

  it('answers the variant the domain names, only for its own reason', () => {
    expect(resolveMessage('invalid_status', 'invalid_status.max_attempts').id).toBe('invalid_status.max_attempts');
    expect(resolveMessage('invalid_password', 'invalid_status.max_attempts', [2]).id).toBe('invalid_password');
    expect(resolveMessage('not_found', 'no.such.entry').id).toBe('not_found');
    expect(resolveMessage('resource_exhausted', 'resource_exhausted.code_resend').id).toBe('resource_exhausted');
    expect(messageFor('resource_exhausted', 'zh-CN', [42], 'resource_exhausted.code_resend')).toBe('请42秒后再发送验证码');
  });

  it('renders the entry once for every dialect: message, LocalizedMessage, and hzero_key in ErrorInfo', () => {
    const err = new SignetError('not_found', 'test', { message: 'not_found.phone', metadata: { field: 'phone' } });
    const rs = toStatus(err, 'en');
    expect(rs).toMatchObject({
      reason: 'not_found',
      code: 5,
      httpStatus: 404,
      messageId: 'not_found.phone',
      hzeroKey: 'hoth.warn.phoneNotFound',
      message: 'This phone number is not registered.',
      localizedMessage: { locale: 'en', message: 'This phone number is not registered.' },
      errorInfo: { metadata: { field: 'phone', hzero_key: 'hoth.warn.phoneNotFound' } },
    });
    expect(toStatus(new SignetError('not_found', 'test'), 'en').errorInfo.metadata).toEqual({});
  });

  it('is in the README exactly as scripts/catalogue.ts prints it', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`## Message catalogue`);
    expect(readme).toContain(catalogueMarkdown());
  });
});
