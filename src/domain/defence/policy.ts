import type { SecondFactor, TenantPolicy } from '../model.js';
import { invalidArgument } from '../errors.js';

export interface EffectivePolicy {
  hideUnknownUsers: boolean;
  lockoutEnabled: boolean;
  maxFailedAttempts: number;
  lockSeconds: number;
  captchaAfterFailures: number;
  alwaysCaptcha: boolean;
  secondFactor: SecondFactor;
}

/** Signet's defaults: a captcha after 3 failures, a 15-minute lock at the 5th. */
export const DEFAULT_POLICY: EffectivePolicy = {
  hideUnknownUsers: false,
  lockoutEnabled: true,
  maxFailedAttempts: 5,
  lockSeconds: 900,
  captchaAfterFailures: 3,
  alwaysCaptcha: false,
  secondFactor: 'off',
};

export const effectivePolicy = (p: TenantPolicy): EffectivePolicy => {
  const out = { ...DEFAULT_POLICY };
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== null) (out as Record<string, unknown>)[k] = v;
  return out;
};

/** Rejects a policy an operator could not have meant. */
export function checkPolicy(p: TenantPolicy): TenantPolicy {
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
  return p;
}
