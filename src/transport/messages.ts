// The catalogue: every answer Signet gives a person, in the two locales it speaks, keyed by reason.
// A reason's plain message has the reason as its id; where the reason alone does not say enough
// (this failure locked the account, the unknown identifier was a phone number) the domain names a
// variant `reason.variant` in ErrorDetails.message (domain/errors.ts lists them), and every dialect
// renders that one entry: the
// text in gRPC's LocalizedMessage and REST bodies, its HZERO key in ErrorInfo.metadata.hzero_key
// and as the HZERO dialect's `code`. Texts follow HZERO's own wording where a key exists, so its
// front ends show what they always showed. scripts/catalogue.ts prints this as the README table.
import type { MessageVariant, Reason } from '../domain/errors.js';
import type { Locale } from '../domain/model.js';

export type { Locale };

/** Every entry: a reason's own, a variant the domain names, and the transport's own successes. */
export type MessageId = Reason | MessageVariant | 'ok.code_sent';

export interface MessageText {
  zh: string;
  en: string;
  hzeroKey?: string;
}

export interface CatalogueEntry extends MessageText {
  /** The reason the entry answers; 'ok' for a success message. */
  reason: Reason | 'ok';
  /**
   * The entry used instead when the text has placeholders and the error carries no params: a
   * message that says "{0} attempts left" without a number is worse than one that says nothing.
   */
  withoutParams?: string;
}

const CATALOGUE = {
  invalid_argument: { reason: 'invalid_argument', zh: '请求参数不正确', en: 'The request has an invalid argument.' },
  'invalid_argument.phone_format': {
    reason: 'invalid_argument',
    hzeroKey: 'phone.format.incorrect',
    zh: '手机号格式不正确',
    en: 'The phone number is malformed.',
  },
  'invalid_argument.email_format': {
    reason: 'invalid_argument',
    hzeroKey: 'hoth.warn.phoneOrEmailNotInvalid',
    zh: '您输入的手机/邮箱格式不正确',
    en: 'That phone or email is malformed.',
  },
  'invalid_argument.destination_missing': {
    reason: 'invalid_argument',
    hzeroKey: 'hoth.warn.phoneOrEmailNotnull',
    zh: '请输入手机/邮箱',
    en: 'Enter a phone or email.',
  },
  'invalid_argument.sms_code_missing': {
    reason: 'invalid_argument',
    hzeroKey: 'hoth.warn.loginMobileCaptchaNull',
    zh: '请输入手机验证码',
    en: 'Please enter the SMS code.',
  },
  // A client with password_encryption "required" sent a password that is not a ciphertext at all
  // (not base64, or not one key-sized block): a format error, told before any password is
  // compared. A ciphertext that decrypts badly is NOT this: it fails like a wrong password.
  'invalid_argument.password_undecodable': {
    reason: 'invalid_argument',
    hzeroKey: 'hoth.warn.decodePasswordError',
    zh: '解码密码错误',
    en: 'The password could not be decoded.',
  },
  // A client with reject_replayed_passwords sent a ciphertext it had sent before.
  'invalid_argument.password_replayed': {
    reason: 'invalid_argument',
    zh: '加密的密码已使用过，请重新加密后再试',
    en: 'This encrypted password was used before; encrypt it again.',
  },
  invalid_password: {
    reason: 'invalid_password',
    hzeroKey: 'hoth.warn.passwordError',
    zh: '您输入的账号或密码错误，还可以尝试{0}次',
    en: 'Account or password is wrong, {0} attempts left.',
    withoutParams: 'invalid_password.uncounted',
  },
  'invalid_password.uncounted': {
    reason: 'invalid_password',
    hzeroKey: 'hoth.warn.usernameNotFoundOrPasswordIsWrong',
    zh: '您输入的账号或密码错误',
    en: 'Account or password is wrong.',
  },
  user_pending: {
    reason: 'user_pending',
    hzeroKey: 'hoth.warn.userNotActive',
    zh: '您的账号未激活，无法登录',
    en: 'Your account is not activated.',
  },
  user_blocked: { reason: 'user_blocked', zh: '您的账号已被停用，请联系管理员', en: 'Your account is disabled; contact an administrator.' },
  user_expired: {
    reason: 'user_expired',
    hzeroKey: 'hoth.warn.accountExpire',
    zh: '您的账户已过期，无法登录',
    en: 'Your account has expired.',
  },
  tenant_disabled: {
    reason: 'tenant_disabled',
    hzeroKey: 'hoth.warn.tenantDisabled',
    zh: '您的所属组织已被禁用，请联系管理员',
    en: 'Your organization is disabled.',
  },
  permission_denied: { reason: 'permission_denied', zh: '您没有权限执行此操作', en: 'You do not have permission to do this.' },
  // A change of credentials or a deletion without a valid sudo token (missing, spent, expired,
  // or issued to another session): confirm your identity again (Sudo) and retry.
  'permission_denied.sudo_required': {
    reason: 'permission_denied',
    zh: '请先重新验证身份',
    en: 'Confirm your identity again first.',
  },
  invalid_status: {
    reason: 'invalid_status',
    hzeroKey: 'hoth.warn.accountLocked',
    zh: '您的账户已锁定，请通过找回密码解锁，或联系平台运维中心',
    en: 'Your account is locked.',
  },
  'invalid_status.max_attempts': {
    reason: 'invalid_status',
    hzeroKey: 'hoth.warn.loginErrorMaxTimes',
    zh: '密码错误次数超过限制，您的账户已锁定！请通过找回密码解锁，或联系平台运维中心！',
    en: 'Too many wrong passwords; the account is locked.',
  },
  not_found: { reason: 'not_found', zh: '请求的资源不存在', en: 'The requested resource was not found.' },
  'not_found.user': {
    reason: 'not_found',
    hzeroKey: 'hoth.warn.usernameNotFound',
    zh: '您输入的登录账户不存在',
    en: 'The account does not exist.',
  },
  'not_found.phone': {
    reason: 'not_found',
    hzeroKey: 'hoth.warn.phoneNotFound',
    zh: '您输入的手机号未注册',
    en: 'This phone number is not registered.',
  },
  'not_found.email': {
    reason: 'not_found',
    hzeroKey: 'hoth.warn.phoneOrEmailNotFound',
    zh: '您输入的手机/邮箱不存在',
    en: 'That phone or email does not exist.',
  },
  already_exists: { reason: 'already_exists', zh: '资源已存在', en: 'The resource already exists.' },
  'already_exists.contact_taken': {
    reason: 'already_exists',
    zh: '该手机号或邮箱已被其他账号绑定',
    en: 'That phone or email belongs to another account.',
  },
  phone_required: { reason: 'phone_required', zh: '需要提供手机号码', en: 'A phone number is required.' },
  captcha_required: { reason: 'captcha_required', hzeroKey: 'hoth.warn.captchaNull', zh: '请输入验证码', en: 'Please enter the captcha.' },
  captcha_invalid: { reason: 'captcha_invalid', hzeroKey: 'hoth.warn.captchaWrong', zh: '您输入的验证码有误', en: 'The captcha is wrong.' },
  verification_invalid: {
    reason: 'verification_invalid',
    hzeroKey: 'hoth.warn.captchaWrong',
    zh: '您输入的验证码有误，还可以尝试{0}次',
    en: 'The verification code is wrong, {0} attempts left.',
    withoutParams: 'verification_invalid.expired',
  },
  'verification_invalid.expired': {
    reason: 'verification_invalid',
    hzeroKey: 'captcha.validate.overdue',
    zh: '验证码失效，请重新获取',
    en: 'The code has expired; request a new one.',
  },
  invalid_grant: { reason: 'invalid_grant', zh: '授权凭证无效或已过期', en: 'The grant is invalid or has expired.' },
  'invalid_grant.account_mismatch': {
    reason: 'invalid_grant',
    hzeroKey: 'hoth.warn.accountNotEquals',
    zh: '您的账号与验证的账号不一致',
    en: 'The account differs from the verified one.',
  },
  // A custom sign-in ticket (signInWithCustomTicket) that its client's keys do not vouch for:
  // a bad signature, an unknown kid, another client's or server's, too long-lived, malformed.
  'invalid_grant.ticket_invalid': {
    reason: 'invalid_grant',
    zh: '自定义登录凭证无效',
    en: 'The custom sign-in ticket is invalid.',
  },
  'invalid_grant.ticket_expired': {
    reason: 'invalid_grant',
    zh: '自定义登录凭证已过期，请重新获取',
    en: 'The custom sign-in ticket has expired; get a new one.',
  },
  'invalid_grant.ticket_replayed': {
    reason: 'invalid_grant',
    zh: '自定义登录凭证已被使用，请重新获取',
    en: 'The custom sign-in ticket was already used; get a new one.',
  },
  unauthorized_client: {
    reason: 'unauthorized_client',
    zh: '客户端认证失败，或该客户端无权使用此授权方式',
    en: 'The client failed to authenticate or may not use this grant type.',
  },
  authorization_pending: {
    reason: 'authorization_pending',
    zh: '用户尚未完成设备授权，请稍后重试',
    en: 'The user has not yet authorized the device; poll again later.',
  },
  slow_down: { reason: 'slow_down', zh: '轮询过于频繁，请放慢速度', en: 'Polling too often; slow down.' },
  expired_token: { reason: 'expired_token', zh: '设备码已过期，请重新发起授权', en: 'The device code has expired; start again.' },
  access_denied: { reason: 'access_denied', zh: '用户拒绝了设备授权', en: 'The user denied the authorization.' },
  unsupported_grant_type: { reason: 'unsupported_grant_type', zh: '不支持的授权类型', en: 'The grant type is not supported.' },
  invalid_scope: { reason: 'invalid_scope', zh: '请求的权限范围无效', en: 'The requested scope is invalid.' },
  invalid_client: { reason: 'invalid_client', hzeroKey: 'hoth.warn.clientNotFound', zh: '未找到客户端！', en: 'Client not found.' },
  'invalid_client.tenant_invalid': {
    reason: 'invalid_client',
    hzeroKey: 'hoth.warn.tenantInvalid',
    zh: '您的所属组织无效，请联系管理员',
    en: 'Your organization is invalid.',
  },
  resource_exhausted: {
    reason: 'resource_exhausted',
    zh: '请求过于频繁或超出限制，请稍后再试',
    en: 'Too many requests, or the request is too large; try again later.',
  },
  'resource_exhausted.code_resend': {
    reason: 'resource_exhausted',
    hzeroKey: 'captcha.send.interval',
    zh: '请{0}秒后再发送验证码',
    en: 'Wait {0} s before requesting another code.',
    withoutParams: 'resource_exhausted',
  },
  'resource_exhausted.code_daily': {
    reason: 'resource_exhausted',
    hzeroKey: 'captcha.send.time-over',
    zh: '验证码发送次数已达上限，请明天再试',
    en: 'The daily limit of codes is reached; try again tomorrow.',
  },
  unauthenticated: { reason: 'unauthenticated', zh: '访问令牌不正确或已过期', en: 'the oauth2.0 access token is not correct or expired' },
  method_not_allowed: { reason: 'method_not_allowed', zh: '不支持该请求方法', en: 'The method is not allowed or not implemented.' },
  unavailable: { reason: 'unavailable', zh: '服务暂时不可用，请稍后再试', en: 'The service is temporarily unavailable; try again later.' },
  'unavailable.code_send': {
    reason: 'unavailable',
    hzeroKey: 'hoth.warn.captcha.sendPhoneCaptchaError',
    zh: '发送验证码失败，请稍后重试',
    en: 'Could not send the code; try later.',
  },
  internal: { reason: 'internal', zh: '服务器内部错误', en: 'Internal server error.' },
  weak_password: {
    reason: 'weak_password',
    hzeroKey: 'hiam.warn.password.policy',
    zh: '密码不符合密码策略',
    en: 'The password does not meet the password policy.',
  },
  'weak_password.too_short': {
    reason: 'weak_password',
    zh: '密码长度不能少于{0}位',
    en: 'The password must be at least {0} characters long.',
    withoutParams: 'weak_password',
  },
  'weak_password.too_long': {
    reason: 'weak_password',
    zh: '密码长度不能超过{0}位',
    en: 'The password must be at most {0} characters long.',
    withoutParams: 'weak_password',
  },
  'weak_password.classes': {
    reason: 'weak_password',
    zh: '密码必须包含以下每类字符：{0}',
    en: 'The password must contain characters of each of: {0}.',
    withoutParams: 'weak_password',
  },
  'weak_password.contains_identifier': {
    reason: 'weak_password',
    zh: '密码不能包含用户名或邮箱',
    en: 'The password must not contain the username or e-mail address.',
  },
  'weak_password.common': { reason: 'weak_password', zh: '密码过于常见，请换一个', en: 'The password is too common; choose another.' },
  'permission_denied.sign_up_closed': {
    reason: 'permission_denied',
    zh: '当前不开放注册',
    en: 'Sign-up is not open here.',
  },
  'permission_denied.existence_hidden': {
    reason: 'permission_denied',
    zh: '无法查询该账号是否存在',
    en: 'Whether an account exists is not disclosed here.',
  },
  'ok.code_sent': { reason: 'ok', hzeroKey: 'captcha.send.phone', zh: '验证码已发送', en: 'The code has been sent.' },
} as const satisfies Record<MessageId, CatalogueEntry>;

export const MESSAGES: Readonly<Record<MessageId, CatalogueEntry>> = CATALOGUE;

/**
 * HZERO keys Signet never answers with, and why. They are listed so that the catalogue knows every
 * key an HZERO front end may switch on, and so that the README says what replaces each.
 */
export const HZERO_UNANSWERED: readonly (MessageText & { hzeroKey: string; why: string })[] = [
  {
    hzeroKey: 'hoth.warn.captchaNotnull',
    zh: '请输入验证码',
    en: 'Please enter the captcha.',
    why: "HZERO's alias of hoth.warn.captchaNull, which Signet answers",
  },
  {
    hzeroKey: 'hoth.warn.phoneNotCheck',
    zh: '您的手机未验证，可使用邮箱或账号登录',
    en: 'Your phone is not verified; sign in with email or account.',
    why: 'sign-in by phone does not require a verified number',
  },
  {
    hzeroKey: 'hoth.warn.emailNotCheck',
    zh: '您的邮箱未验证，可使用手机或账号登录',
    en: 'Your email is not verified; sign in with phone or account.',
    why: 'sign-in by e-mail does not require a verified address',
  },
  {
    hzeroKey: 'hoth.warn.phoneAndEmailNotCheck',
    zh: '您的手机和邮箱均未验证，可使用账号登录',
    en: 'Phone and email not verified; sign in with the account.',
    why: 'as the two above',
  },
  { hzeroKey: 'hoth.warn.ldapIsDisable', zh: 'LDAP已被禁用', en: 'LDAP is disabled.', why: 'Signet has no LDAP' },
  {
    hzeroKey: 'hoth.warn.ldapCannotChangePassword',
    zh: 'LDAP用户不能进行修改密码操作',
    en: 'LDAP users cannot change passwords here.',
    why: 'Signet has no LDAP',
  },
  {
    hzeroKey: 'hoth.warn.createClientError',
    zh: '创建Token错误',
    en: 'Could not create the token.',
    why: 'a failure to mint tokens is `internal`',
  },
  {
    hzeroKey: 'hoth.warn.roleNone',
    zh: '您没有任何角色，请联系管理员分配角色',
    en: 'You have no role; ask an administrator.',
    why: 'Signet has groups, not roles, and signs in without any',
  },
  {
    hzeroKey: 'hoth.warn.defaultTenantRoleNull',
    zh: '您的默认租户下没有分配角色，请联系管理员分配角色',
    en: 'No role in your default tenant.',
    why: 'as above',
  },
  {
    hzeroKey: 'hoth.warn.validCaptchaFirst',
    zh: '请先验证手机/邮箱',
    en: 'Verify your phone or email first.',
    why: 'the second factor answers `phone_required`',
  },
  {
    hzeroKey: 'hoth.user.phone.not-register',
    zh: '手机未注册，请先注册后再登录',
    en: 'Phone not registered; sign up first.',
    why: 'an unknown phone is answered with hoth.warn.phoneNotFound',
  },
  {
    hzeroKey: 'captcha.validate.incorrect',
    zh: '验证码不正确',
    en: 'The code is wrong.',
    why: 'a wrong code is answered with hoth.warn.captchaWrong and the attempts left',
  },
  {
    hzeroKey: 'captcha.validate.number-not-match',
    zh: '验证码与手机号不匹配',
    en: 'The code was not sent to this number.',
    why: 'a code sent to another number counts as a wrong code, which tells nothing about the other number',
  },
  {
    hzeroKey: 'captcha.validate.error.too-many-time',
    zh: '验证码错误次数过多，请重新获取',
    en: 'Too many wrong codes; request a new one.',
    why: 'the last wrong code says 0 attempts left; any later one captcha.validate.overdue',
  },
];

const PLACEHOLDER = /\{(\d+)\}/g;

const isMessageId = (id: string | undefined): id is MessageId => id !== undefined && Object.hasOwn(MESSAGES, id);

/**
 * The entry an error is answered with: the one the domain named, if it belongs to the reason,
 * else the reason's own; then, without params, the variant that needs none.
 */
export function resolveMessage(
  reason: Reason,
  message?: MessageId | string,
  params?: readonly (string | number)[],
): { id: MessageId; entry: CatalogueEntry } {
  let id: MessageId = isMessageId(message) && MESSAGES[message].reason === reason ? message : isMessageId(reason) ? reason : 'internal';
  let entry = MESSAGES[id];
  if (entry.withoutParams && isMessageId(entry.withoutParams) && (!params || params.length === 0)) {
    id = entry.withoutParams;
    entry = MESSAGES[id];
  }
  return { id, entry };
}

/** The text of an entry in a locale, with {0}, {1}, … filled from params. */
export function formatMessage(text: MessageText, locale: Locale, params?: readonly (string | number)[]): string {
  const template = locale === 'en' ? text.en : text.zh;
  if (!params || params.length === 0) return template;
  return template.replace(PLACEHOLDER, (whole, i: string) => {
    const v = params[Number(i)];
    return v === undefined ? whole : String(v);
  });
}

/** The entry that fits the reason, the variant named and the params given. */
export function messageTextFor(reason: Reason, params?: readonly (string | number)[], message?: MessageId): MessageText {
  return resolveMessage(reason, message, params).entry;
}

/** The localized text of a reason (or of its variant `message`), with placeholders filled. */
export function messageFor(reason: Reason, locale: Locale, params?: readonly (string | number)[], message?: MessageId): string {
  return formatMessage(messageTextFor(reason, params, message), locale, params);
}

/** The HZERO catalogue key of a reason (or of its variant), if HZERO has one. */
export function hzeroKeyFor(reason: Reason, params?: readonly (string | number)[], message?: MessageId): string | undefined {
  return messageTextFor(reason, params, message).hzeroKey;
}
