// The tenant's password policy, applied to every new password: sign-up, reset, change, and the
// operator's set-password (who may override it explicitly).
import { SignetError } from '../errors.js';
import type { MessageVariant } from '../errors.js';
import type { PasswordClass, TenantPolicy } from '../model.js';
import { lazyRequire } from '../lazy-module.js';

/** Who the password is for: a password may not contain these. */
export interface PasswordOwner {
  username?: string | null;
  email?: string | null;
}

/** The policy with every default filled in. */
export interface EffectivePasswordPolicy {
  minLength: number;
  maxLength: number;
  requiredClasses: PasswordClass[];
  rejectIdentifiers: boolean;
  rejectCommon: boolean;
}

export const DEFAULT_PASSWORD_POLICY: EffectivePasswordPolicy = {
  minLength: 8,
  maxLength: 128,
  requiredClasses: [],
  rejectIdentifiers: true,
  rejectCommon: true,
};

/** The longest maximum a tenant may set (admin validation): argon2 is given at most this. */
export const PASSWORD_MAX_LENGTH_LIMIT = 1024;

/** An identifier shorter than this is not looked for inside a password (a 1-letter username would forbid nearly all). */
const MIN_IDENTIFIER_LENGTH = 3;

export function effectivePasswordPolicy(p: TenantPolicy): EffectivePasswordPolicy {
  const d = DEFAULT_PASSWORD_POLICY;
  return {
    minLength: p.passwordMinLength ?? d.minLength,
    maxLength: p.passwordMaxLength ?? d.maxLength,
    requiredClasses: p.passwordRequiredClasses ?? d.requiredClasses,
    rejectIdentifiers: p.passwordRejectIdentifiers ?? d.rejectIdentifiers,
    rejectCommon: p.passwordRejectCommon ?? d.rejectCommon,
  };
}

const CLASS_TESTS: Record<PasswordClass, RegExp> = {
  lower: /\p{Ll}/u,
  upper: /\p{Lu}/u,
  digit: /\p{Nd}/u,
  // Anything that is neither a letter nor a digit: punctuation, symbols, spaces.
  symbol: /[^\p{L}\p{N}]/u,
};

/**
 * How the `classes` message names a missing class (its {0}). Params are the same in every locale,
 * so they are written in characters every reader knows rather than in one language's words.
 */
const CLASS_WORDS: Record<PasswordClass, string> = {
  lower: 'a-z',
  upper: 'A-Z',
  digit: '0-9',
  symbol: '!@#…',
};

let common: Set<string> | undefined;
const languageCommon = lazyRequire<{ dictionary: Record<string, string[]> }>('@zxcvbn-ts/language-common');

/**
 * The common-password list of @zxcvbn-ts/language-common (about 49,000 passwords from breach
 * corpora, all lower-case), read from the installed package (no network) on first use, once.
 */
function commonPasswords(): Set<string> {
  common ??= new Set(languageCommon().dictionary['passwords-common']);
  return common;
}

export const isCommonPassword = (password: string): boolean => commonPasswords().has(password.toLowerCase());

function weak(field: string, detail: string, description: string, message: MessageVariant, params?: (string | number)[]): SignetError {
  return new SignetError('weak_password', detail, {
    fieldViolations: [{ field, description }],
    message,
    ...(params ? { params } : {}),
  });
}

/** The identifiers a password may not contain, lower-cased: the username and the e-mail's local part. */
function identifiersOf(owner: PasswordOwner): string[] {
  const out: string[] = [];
  if (owner.username) out.push(owner.username.toLowerCase());
  if (owner.email) out.push(owner.email.split('@')[0].toLowerCase());
  return out.filter((s) => [...s].length >= MIN_IDENTIFIER_LENGTH);
}

/**
 * Throws `weak_password` naming the first rule the password breaks, in this order: too short,
 * too long, missing classes, contains an identifier, common (the field is the request's field:
 * `password` or `new_password`). Lengths count characters (code points), not bytes.
 */
export function enforcePasswordPolicy(policy: TenantPolicy, password: string, owner: PasswordOwner, field = 'password'): void {
  const p = effectivePasswordPolicy(policy);
  const length = [...password].length;
  if (length < p.minLength) {
    throw weak(field, 'password_too_short', `at least ${p.minLength} characters`, 'weak_password.too_short', [p.minLength]);
  }
  if (length > p.maxLength) {
    throw weak(field, 'password_too_long', `at most ${p.maxLength} characters`, 'weak_password.too_long', [p.maxLength]);
  }
  const missing = p.requiredClasses.filter((c) => !CLASS_TESTS[c].test(password));
  if (missing.length > 0) {
    const words = missing.map((c) => CLASS_WORDS[c]).join(', ');
    throw weak(field, 'password_classes', `must contain characters of ${words}`, 'weak_password.classes', [words]);
  }
  if (p.rejectIdentifiers) {
    const lower = password.toLowerCase();
    if (identifiersOf(owner).some((id) => lower.includes(id))) {
      throw weak(field, 'password_contains_identifier', 'must not contain the username or e-mail', 'weak_password.contains_identifier');
    }
  }
  if (p.rejectCommon && isCommonPassword(password)) {
    throw weak(field, 'password_common', 'too common', 'weak_password.common');
  }
}
