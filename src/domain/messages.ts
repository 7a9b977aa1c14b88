// The user-facing text of every reason, in the two locales Signet answers in. The HZERO keys let
// the HZERO dialect answer with the catalogue key its front ends switch on; the texts follow
// HZERO's own wording where a key exists, so those front ends show what they always showed.
import type { Reason } from './errors.js';
/** The languages of the catalogue. */
export type Locale = 'zh-CN' | 'en';

export interface MessageText {
  zh: string;
  en: string;
  hzeroKey?: string;
}

export interface CatalogueEntry extends MessageText {
  /**
   * Used instead when the text has placeholders and the error carries no params: a message that
   * says "{0} attempts left" without a number is worse than one that says nothing about it.
   */
  withoutParams?: MessageText;
}

export const MESSAGES: Readonly<Record<Reason, CatalogueEntry>> = {
  invalid_argument: { zh: '请求参数不正确', en: 'The request has an invalid argument.' },
  invalid_password: {
    zh: '您输入的账号或密码错误，还可以尝试{0}次',
    en: 'Account or password is wrong, {0} attempts left.',
    hzeroKey: 'hoth.warn.passwordError',
    withoutParams: {
      zh: '您输入的账号或密码错误',
      en: 'Account or password is wrong.',
      hzeroKey: 'hoth.warn.usernameNotFoundOrPasswordIsWrong',
    },
  },
  user_pending: { zh: '您的账号未激活，无法登录', en: 'Your account is not activated.', hzeroKey: 'hoth.warn.userNotActive' },
  user_blocked: { zh: '您的账号已被停用，请联系管理员', en: 'Your account is disabled; contact an administrator.' },
  user_expired: { zh: '您的账户已过期，无法登录', en: 'Your account has expired.', hzeroKey: 'hoth.warn.accountExpire' },
  tenant_disabled: {
    zh: '您的所属组织已被禁用，请联系管理员',
    en: 'Your organization is disabled.',
    hzeroKey: 'hoth.warn.tenantDisabled',
  },
  permission_denied: { zh: '您没有权限执行此操作', en: 'You do not have permission to do this.' },
  invalid_status: {
    zh: '您的账户已锁定，请通过找回密码解锁，或联系平台运维中心',
    en: 'Your account is locked.',
    hzeroKey: 'hoth.warn.accountLocked',
  },
  not_found: { zh: '请求的资源不存在', en: 'The requested resource was not found.' },
  already_exists: { zh: '资源已存在', en: 'The resource already exists.' },
  phone_required: { zh: '需要提供手机号码', en: 'A phone number is required.' },
  captcha_required: { zh: '请输入验证码', en: 'Please enter the captcha.', hzeroKey: 'hoth.warn.captchaNull' },
  captcha_invalid: { zh: '您输入的验证码有误', en: 'The captcha is wrong.', hzeroKey: 'hoth.warn.captchaWrong' },
  verification_invalid: {
    zh: '您输入的验证码有误，还可以尝试{0}次',
    en: 'The verification code is wrong, {0} attempts left.',
    hzeroKey: 'hoth.warn.captchaWrong',
    withoutParams: {
      zh: '验证码错误或已失效',
      en: 'The verification code is wrong or has expired.',
      hzeroKey: 'hoth.warn.captchaWrong',
    },
  },
  invalid_grant: { zh: '授权凭证无效或已过期', en: 'The grant is invalid or has expired.' },
  unauthorized_client: { zh: '客户端认证失败，或该客户端无权使用此授权方式', en: 'The client failed to authenticate or may not use this grant type.' },
  unsupported_grant_type: { zh: '不支持的授权类型', en: 'The grant type is not supported.' },
  invalid_scope: { zh: '请求的权限范围无效', en: 'The requested scope is invalid.' },
  invalid_client: { zh: '未找到客户端！', en: 'Client not found.', hzeroKey: 'hoth.warn.clientNotFound' },
  resource_exhausted: {
    zh: '请求过于频繁或超出限制，请稍后再试',
    en: 'Too many requests, or the request is too large; try again later.',
  },
  unauthenticated: { zh: '访问令牌不正确或已过期', en: 'the oauth2.0 access token is not correct or expired' },
  method_not_allowed: { zh: '不支持该请求方法', en: 'The method is not allowed or not implemented.' },
  unavailable: { zh: '服务暂时不可用，请稍后再试', en: 'The service is temporarily unavailable; try again later.' },
  internal: { zh: '服务器内部错误', en: 'Internal server error.' },
};

const PLACEHOLDER = /\{(\d+)\}/g;

/** The variant of the entry that fits the params given (see withoutParams). */
export function messageTextFor(reason: Reason, params?: readonly (string | number)[]): MessageText {
  const entry = MESSAGES[reason] ?? MESSAGES.internal;
  if (entry.withoutParams && (!params || params.length === 0)) return entry.withoutParams;
  return entry;
}

/** The localized text of a reason, with {0}, {1}, … filled from params. */
export function messageFor(reason: Reason, locale: Locale, params?: readonly (string | number)[]): string {
  const text = messageTextFor(reason, params);
  const template = locale === 'en' ? text.en : text.zh;
  if (!params || params.length === 0) return template;
  return template.replace(PLACEHOLDER, (whole, i: string) => {
    const v = params[Number(i)];
    return v === undefined ? whole : String(v);
  });
}

/** The HZERO catalogue key of a reason, if HZERO has one. */
export function hzeroKeyFor(reason: Reason, params?: readonly (string | number)[]): string | undefined {
  return messageTextFor(reason, params).hzeroKey;
}
