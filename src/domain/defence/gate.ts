// Whose failures count and when a password sign-in needs a captcha. Shared by the sign-in steps
// (signin/password.ts), which enforce it, and by the sign-in options (signin/options.ts), which tell a login
// page in advance: both must reach the same answer for the same user, or a page would show no
// captcha field and the sign-in would then refuse it.
import type { Deps } from '../deps.js';
import type { User, UserType } from '../model.js';
import type { Identifier } from '../accounts/identity.js';
import type { EffectivePolicy } from './policy.js';
import type { Subject } from './lockout.js';

/** An identifier as typed (type, field, canonical value): the key of its lock and count. */
export const identifierKey = (userType: UserType, id: Identifier): string => `${userType}:${id.field}:${id.value}`;

/**
 * The user, or for an unknown identifier the identifier itself: an unknown identifier counts and
 * locks like an account, so neither the lock nor the captcha tells which accounts exist.
 */
export function failureSubject(tenantId: string, user: User | null, idKey: string): Subject {
  return { tenantId, key: user ? `u:${user.id}` : `i:${idKey}` };
}

/**
 * Whether the next password attempt needs a captcha: always (policy), after enough consecutive
 * failures of the subject, or when the client IP has failed often (`ipFailures`).
 */
export async function captchaDue(deps: Deps, policy: EffectivePolicy, subject: Subject | null, ipFailures: number): Promise<boolean> {
  // The count is read whatever the other rules say, so that the answer takes the same work for
  // every subject. No subject (a login page that names no user yet): the other rules alone.
  const failures = policy.lockoutEnabled && subject ? await deps.lockout.failures(subject) : 0;
  return captchaDueFor(deps, policy, failures, ipFailures);
}

/** The rule itself, for a caller that already has the subject's failure count. */
export function captchaDueFor(deps: Deps, policy: EffectivePolicy, failures: number, ipFailures: number): boolean {
  return (
    policy.alwaysCaptcha ||
    (policy.lockoutEnabled && policy.captchaAfterFailures > 0 && failures >= policy.captchaAfterFailures) ||
    deps.limiter.needsCaptchaForIp(ipFailures)
  );
}
