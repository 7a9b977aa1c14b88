// The tenant's password policy, applied to every new password: sign-up, reset, change, and the
// operator's set-password (who may override it explicitly).
import { SignetError } from '../errors.js';
import type { TenantPolicy } from '../model.js';

/** Who the password is for: a password may not contain these. */
export interface PasswordOwner {
  username?: string | null;
  email?: string | null;
}

/**
 * Throws `weak_password` naming the first rule the password breaks (the field is the request's
 * field: `password` or `new_password`).
 *
 * PLACEHOLDER: only the minimum length is checked until the full policy lands.
 */
export function enforcePasswordPolicy(policy: TenantPolicy, password: string, _owner: PasswordOwner, field = 'password'): void {
  const min = policy.passwordMinLength ?? 8;
  if ([...password].length < min)
    throw new SignetError('weak_password', 'password_too_short', {
      fieldViolations: [{ field, description: `at least ${min} characters` }],
      message: 'weak_password.too_short',
      params: [min],
    });
}
