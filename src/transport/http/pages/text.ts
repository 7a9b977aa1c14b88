// The hosted pages' own words, in both languages. Error texts come from the message catalogue
// (transport/messages.ts) as every dialect's do; these are the labels around them.
import type { Locale } from '../../context.js';

const EN = {
  signIn: 'Sign in',
  signInTo: 'Sign in to continue to {0}',
  login: 'Username, e-mail or phone',
  password: 'Password',
  submit: 'Sign in',
  withCode: 'Sign in with a code instead',
  withPassword: 'Sign in with a password instead',
  codeTo: 'Phone number or e-mail address',
  sendCode: 'Send code',
  code: 'Code',
  codeSent: 'A code was sent. Enter it below.',
  captcha: 'Characters in the picture',
  captchaImage: 'Picture with characters to type',
  forgot: 'Forgot password?',
  resetTitle: 'Reset your password',
  newPassword: 'New password',
  resetSubmit: 'Set new password',
  resetDone: 'Your password was changed. Sign in with the new one.',
  backToSignIn: 'Back to sign in',
  consentTitle: 'Allow access',
  consentAsk: '{0} wants to:',
  signedInAs: 'Signed in as {0}',
  allow: 'Allow',
  deny: 'Deny',
  errorTitle: 'Something went wrong',
  deviceTitle: 'Connect a device',
  deviceAsk: 'Enter the code shown on your device.',
  userCode: 'Device code',
  continue: 'Continue',
  deviceConfirm: 'Allow {0} on the device showing {1}?',
  deviceApproved: 'Done. You can go back to your device.',
  deviceDenied: 'The device was not allowed.',
  passwordEncrypted: 'Your password is encrypted in this page before it is sent.',
  secondFactor: 'This organisation requires a code sent to your phone: sign in with a code.',
  signOut: 'Sign out',
  signOutAsk: 'Sign out of all apps signed in through this page?',
  signedOut: 'You are signed out',
  signedOutText: 'You are signed out.',
  signOutFailed: 'Sign-out failed',
} as const;

export type TextKey = keyof typeof EN;

const ZH: Record<TextKey, string> = {
  signIn: '登录',
  signInTo: '登录以继续使用 {0}',
  login: '用户名、邮箱或手机号',
  password: '密码',
  submit: '登录',
  withCode: '使用验证码登录',
  withPassword: '使用密码登录',
  codeTo: '手机号或邮箱',
  sendCode: '发送验证码',
  code: '验证码',
  codeSent: '验证码已发送，请在下方输入。',
  captcha: '图片中的字符',
  captchaImage: '含有待输入字符的图片',
  forgot: '忘记密码？',
  resetTitle: '重置密码',
  newPassword: '新密码',
  resetSubmit: '设置新密码',
  resetDone: '密码已修改，请使用新密码登录。',
  backToSignIn: '返回登录',
  consentTitle: '授权访问',
  consentAsk: '{0} 请求以下权限：',
  signedInAs: '当前登录：{0}',
  allow: '允许',
  deny: '拒绝',
  errorTitle: '出错了',
  deviceTitle: '连接设备',
  deviceAsk: '请输入设备上显示的代码。',
  userCode: '设备代码',
  continue: '继续',
  deviceConfirm: '允许 {0} 在显示 {1} 的设备上登录？',
  deviceApproved: '已完成，请回到您的设备。',
  deviceDenied: '已拒绝该设备。',
  passwordEncrypted: '密码在本页面加密后才会发送。',
  secondFactor: '本组织要求使用手机验证码：请使用验证码登录。',
  signOut: '退出登录',
  signOutAsk: '退出通过本页面登录的所有应用？',
  signedOut: '已退出登录',
  signedOutText: '您已退出登录。',
  signOutFailed: '无法退出登录',
};

/** What each scope lets the client do, as the consent page says it. A client's own scopes show their id. */
const SCOPES: Record<Locale, Readonly<Record<string, string>>> = {
  en: {
    openid: 'Know who you are',
    profile: 'See your name and profile',
    email: 'See your e-mail address',
    phone: 'See your phone number',
    offline_access: 'Stay signed in when you are away',
    user: 'Sign you in',
  },
  'zh-CN': {
    openid: '识别您的身份',
    profile: '查看您的姓名和个人资料',
    email: '查看您的邮箱地址',
    phone: '查看您的手机号',
    offline_access: '在您离开后保持登录',
    user: '为您登录',
  },
};

export function t(locale: Locale, key: TextKey, ...params: string[]): string {
  const s = locale === 'zh-CN' ? ZH[key] : EN[key];
  return params.reduce<string>((acc, p, i) => acc.replace(`{${i}}`, p), s);
}

export function scopeText(locale: Locale, scope: string): string {
  return Object.hasOwn(SCOPES[locale], scope) ? SCOPES[locale][scope] : scope;
}

/**
 * The page's language: the first of ui_locales Signet speaks (OpenID Connect Core 3.1.2.1),
 * else the one the Accept-Language header chose.
 */
export function pageLocale(uiLocales: string[], fromHeader: Locale): Locale {
  for (const tag of uiLocales) {
    const l = tag.toLowerCase();
    if (l === 'zh' || l.startsWith('zh-')) return 'zh-CN';
    if (l === 'en' || l.startsWith('en-')) return 'en';
  }
  return fromHeader;
}
