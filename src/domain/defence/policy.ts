import type { LoginField, OpenLoginWay, PasswordClass, SecondFactor, TenantPolicy } from '../model.js';
import { PASSWORD_CLASSES } from '../model.js';
import { invalidArgument } from '../errors.js';
import { DEFAULT_PASSWORD_POLICY, PASSWORD_MAX_LENGTH_LIMIT } from '../accounts/password-policy.js';
import { checkBranding } from '../accounts/branding.js';

/** The identifiers sign-up may accept (TenantPolicy.signUpMethods). */
export const SIGN_UP_METHODS: readonly LoginField[] = ['username', 'email', 'phone'];

export interface EffectivePolicy {
  hideUnknownUsers: boolean;
  lockoutEnabled: boolean;
  maxFailedAttempts: number;
  lockSeconds: number;
  captchaAfterFailures: number;
  alwaysCaptcha: boolean;
  secondFactor: SecondFactor;
  allowMultipleLoginWeb: boolean;
  allowMultipleLoginApp: boolean;
  openLoginWays: OpenLoginWay[];
}

/** Signet's defaults: a captcha after 3 failures, a 15-minute lock at the 5th, many sessions. */
export const DEFAULT_POLICY: EffectivePolicy = {
  hideUnknownUsers: false,
  lockoutEnabled: true,
  maxFailedAttempts: 5,
  lockSeconds: 900,
  captchaAfterFailures: 3,
  alwaysCaptcha: false,
  secondFactor: 'off',
  allowMultipleLoginWeb: true,
  allowMultipleLoginApp: true,
  openLoginWays: [],
};

export const effectivePolicy = (p: TenantPolicy): EffectivePolicy => {
  const out = { ...DEFAULT_POLICY };
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== null) (out as Record<string, unknown>)[k] = v;
  return out;
};

/** Whether a new sign-in on `channel` ends the user's other sessions of that channel. */
export function exclusiveChannel(p: EffectivePolicy, channel: string): boolean {
  if (channel === 'web') return !p.allowMultipleLoginWeb;
  if (channel === 'app') return !p.allowMultipleLoginApp;
  return false;
}

/**
 * Signet's channel of a client's channel name: "web" and HZERO's "pc" are the web; "app" and
 * HZERO's "ios", "android" and "pad" the app; "" is unspecified. Undefined for anything else.
 */
export function channelOf(v: string): 'web' | 'app' | '' | undefined {
  switch (v.trim().toLowerCase()) {
    case '':
      return '';
    case 'web':
    case 'pc':
      return 'web';
    case 'app':
    case 'ios':
    case 'android':
    case 'pad':
      return 'app';
    default:
      return undefined;
  }
}

const MAX_LOGIN_WAYS = 20;
const APP_CODE = /^[A-Za-z0-9_.-]{1,64}$/;
// A login page renders these as links and images: anything but http(s) or a site path (a
// `javascript:` URL above all) would run in the page.
const SAFE_URL = /^(?:https?:\/\/[^\s]+|\/[^\s/][^\s]*)$/i;

function checkLoginWays(ways: OpenLoginWay[]): OpenLoginWay[] {
  if (ways.length > MAX_LOGIN_WAYS) throw invalidArgument('policy.open_login_ways', `at most ${MAX_LOGIN_WAYS}`);
  const seen = new Set<string>();
  return ways.map((w, i) => {
    const field = (name: string) => `policy.open_login_ways.ways[${i}].${name}`;
    if (!APP_CODE.test(w.appCode)) throw invalidArgument(field('app_code'), '1 to 64 letters, digits, _ . -');
    if (seen.has(w.appCode)) throw invalidArgument(field('app_code'), 'app_code must be unique');
    seen.add(w.appCode);
    if (w.appName.length > 128) throw invalidArgument(field('app_name'), 'at most 128 characters');
    for (const [name, url] of [
      ['app_image', w.appImage],
      ['authorize_url', w.authorizeUrl],
    ] as const) {
      if (url !== '' && (url.length > 2048 || !SAFE_URL.test(url))) throw invalidArgument(field(name), 'an http(s) URL or a path');
    }
    const channel = channelOf(w.channel);
    if (channel === undefined) throw invalidArgument(field('channel'), 'web, app (or pc, ios, android, pad) or empty');
    return { ...w, channel };
  });
}

/**
 * Rejects a policy an operator could not have meant; returns it with channels and branding
 * normalised. A patch is checked against the `current` policy it will be merged into (max ≥ min
 * across both).
 */
export function checkPolicy(p: TenantPolicy, current: TenantPolicy = {}): TenantPolicy {
  if (p.maxFailedAttempts !== undefined && (p.maxFailedAttempts < 1 || p.maxFailedAttempts > 100)) {
    throw invalidArgument('policy.max_failed_attempts', 'between 1 and 100');
  }
  if (p.lockSeconds !== undefined && (p.lockSeconds < 1 || p.lockSeconds > 86400 * 30)) {
    throw invalidArgument('policy.lock_seconds', 'between 1 and 2592000');
  }
  if (p.captchaAfterFailures !== undefined && (p.captchaAfterFailures < 0 || p.captchaAfterFailures > 100)) {
    throw invalidArgument('policy.captcha_after_failures', 'between 0 and 100');
  }
  if (p.secondFactor !== undefined && !['off', 'always', 'new_device'].includes(p.secondFactor)) {
    throw invalidArgument('policy.second_factor', 'off, always or new_device');
  }
  checkPasswordPolicy(p, current);
  p = checkBranding(p);
  if (p.signUpMethods !== undefined) {
    for (const m of p.signUpMethods) {
      if (!SIGN_UP_METHODS.includes(m)) throw invalidArgument('policy.sign_up_methods', `each one of ${SIGN_UP_METHODS.join(', ')}`);
    }
    p = { ...p, signUpMethods: [...new Set(p.signUpMethods)] };
  }
  return p.openLoginWays === undefined ? p : { ...p, openLoginWays: checkLoginWays(p.openLoginWays) };
}

/** Lengths within 1..1024 with max ≥ min (what the patch leaves unset is the current value), classes from the four. */
function checkPasswordPolicy(p: TenantPolicy, current: TenantPolicy): void {
  const min = p.passwordMinLength ?? current.passwordMinLength ?? DEFAULT_PASSWORD_POLICY.minLength;
  const max = p.passwordMaxLength ?? current.passwordMaxLength ?? DEFAULT_PASSWORD_POLICY.maxLength;
  if (p.passwordMinLength !== undefined && (min < 1 || min > PASSWORD_MAX_LENGTH_LIMIT)) {
    throw invalidArgument('policy.password_min_length', `between 1 and ${PASSWORD_MAX_LENGTH_LIMIT}`);
  }
  if (p.passwordMaxLength !== undefined && (max < 1 || max > PASSWORD_MAX_LENGTH_LIMIT)) {
    throw invalidArgument('policy.password_max_length', `between 1 and ${PASSWORD_MAX_LENGTH_LIMIT}`);
  }
  if (max < min) throw invalidArgument('policy.password_max_length', 'at least password_min_length');
  for (const c of p.passwordRequiredClasses ?? []) {
    if (!PASSWORD_CLASSES.includes(c as PasswordClass)) {
      throw invalidArgument('policy.password_required_classes', `each one of ${PASSWORD_CLASSES.join(', ')}`);
    }
  }
}
