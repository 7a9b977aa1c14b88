import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PASSWORD_POLICY,
  effectivePasswordPolicy,
  enforcePasswordPolicy,
  isCommonPassword,
} from '../../src/domain/accounts/password-policy.js';
import { SignetError } from '../../src/domain/errors.js';
import type { TenantPolicy } from '../../src/domain/model.js';
import { messageFor } from '../../src/transport/messages.js';
import { checkPolicy } from '../../src/domain/defence/policy.js';

/** The refusal enforcePasswordPolicy throws, or null when the password passes. */
function refusal(policy: TenantPolicy, password: string, owner = {}, field?: string): SignetError | null {
  try {
    enforcePasswordPolicy(policy, password, owner, field);
    return null;
  } catch (err) {
    if (err instanceof SignetError) return err;
    throw err;
  }
}

const texts = (e: SignetError) => ({
  en: messageFor(e.reason, 'en', e.details.params, e.details.message),
  zh: messageFor(e.reason, 'zh-CN', e.details.params, e.details.message),
});

describe('password policy', () => {
  it('defaults: 8 to 128 characters, no classes, identifiers and common passwords refused', () => {
    expect(effectivePasswordPolicy({})).toEqual(DEFAULT_PASSWORD_POLICY);
    expect(DEFAULT_PASSWORD_POLICY).toEqual({
      minLength: 8,
      maxLength: 128,
      requiredClasses: [],
      rejectIdentifiers: true,
      rejectCommon: true,
    });
    expect(refusal({}, 'correct horse battery')).toBeNull();
    expect(refusal({}, 'kx7#Qm2p')).toBeNull(); // exactly 8
    expect(refusal({}, 'kx7#Qm2')?.detail).toBe('password_too_short');
    expect(refusal({}, 'a'.repeat(128).replace(/^a/, 'Z'))).toBeNull();
    expect(refusal({}, `Zq${'x'.repeat(127)}`)?.detail).toBe('password_too_long');
    expect(refusal({}, 'password1')?.detail).toBe('password_common');
    expect(refusal({}, 'longname-secret', { username: 'longname' })?.detail).toBe('password_contains_identifier');
  });

  it('too short: weak_password naming the minimum, in both locales', () => {
    const e = refusal({ passwordMinLength: 12 }, 'abcdefgh-x1', {}, 'new_password');
    expect(e?.reason).toBe('weak_password');
    expect(e?.details.message).toBe('weak_password.too_short');
    expect(e?.details.params).toEqual([12]);
    expect(e?.details.fieldViolations).toEqual([{ field: 'new_password', description: 'at least 12 characters' }]);
    expect(texts(e!)).toEqual({ en: 'The password must be at least 12 characters long.', zh: '密码长度不能少于12位' });
  });

  it('lengths count characters, not bytes', () => {
    expect(refusal({ passwordRejectCommon: false }, '密码密码密码密码')).toBeNull(); // 8 characters, 24 bytes
    expect(refusal({ passwordRejectCommon: false }, '密码密码密码密')?.detail).toBe('password_too_short');
    expect(refusal({ passwordMaxLength: 9 }, '密码密码密码密码密码')?.detail).toBe('password_too_long');
  });

  it('too long: names the maximum', () => {
    const e = refusal({ passwordMaxLength: 10 }, 'qz8!kw0#pl3')!;
    expect(e.details.message).toBe('weak_password.too_long');
    expect(texts(e)).toEqual({ en: 'The password must be at most 10 characters long.', zh: '密码长度不能超过10位' });
  });

  it('required classes: each one, and the missing ones named in characters any locale reads', () => {
    const all: TenantPolicy = { passwordRequiredClasses: ['lower', 'upper', 'digit', 'symbol'] };
    expect(refusal(all, 'Qz8!kw0#pl')).toBeNull();
    expect(refusal(all, 'QZ8!KW0#PL')?.details.params).toEqual(['a-z']);
    expect(refusal(all, 'qz8!kw0#pl')?.details.params).toEqual(['A-Z']);
    expect(refusal(all, 'Qzx!kwy#pl')?.details.params).toEqual(['0-9']);
    expect(refusal(all, 'Qz8xkw0ypl')?.details.params).toEqual(['!@#…']);
    const e = refusal(all, 'qzxykwvupl')!;
    expect(e.details.message).toBe('weak_password.classes');
    expect(texts(e)).toEqual({
      en: 'The password must contain characters of each of: A-Z, 0-9, !@#….',
      zh: '密码必须包含以下每类字符：A-Z, 0-9, !@#…',
    });
    // A space is a symbol; letters of other scripts are letters.
    expect(refusal({ passwordRequiredClasses: ['symbol'] }, 'qzx ykwvupl')).toBeNull();
  });

  it('identifiers: the username and the e-mail local part, case-insensitive, from 3 characters', () => {
    const e = refusal({}, 'xx-JohnDoe-42', { username: 'johndoe' })!;
    expect(e.details.message).toBe('weak_password.contains_identifier');
    expect(texts(e).en).toBe('The password must not contain the username or e-mail address.');
    expect(texts(e).zh).toBe('密码不能包含用户名或邮箱');
    expect(refusal({}, 'my-ALICE.W-pass', { email: 'alice.w@example.com' })?.detail).toBe('password_contains_identifier');
    // The domain is not the identifier; a 2-character local part or username is too short to look for.
    expect(refusal({}, 'example.com-zq8', { email: 'alice.w@example.com' })).toBeNull();
    expect(refusal({}, 'bo-is-here-zq8', { email: 'bo@example.com', username: 'bo' })).toBeNull();
    expect(refusal({ passwordRejectIdentifiers: false }, 'xx-johndoe-42', { username: 'johndoe' })).toBeNull();
  });

  it('common passwords: the packaged list, case-insensitive; can be turned off', () => {
    expect(isCommonPassword('password')).toBe(true);
    expect(isCommonPassword('PassWord')).toBe(true);
    expect(isCommonPassword('vq7-Rn2;xe')).toBe(false);
    const e = refusal({}, 'iloveyou')!;
    expect(e.details.message).toBe('weak_password.common');
    expect(texts(e)).toEqual({ en: 'The password is too common; choose another.', zh: '密码过于常见，请换一个' });
    expect(refusal({ passwordRejectCommon: false }, 'iloveyou')).toBeNull();
  });

  it('the rules are checked in order: length, classes, identifiers, common', () => {
    expect(refusal({ passwordRequiredClasses: ['digit'] }, 'short')?.detail).toBe('password_too_short');
    expect(refusal({ passwordRequiredClasses: ['digit'] }, 'password')?.detail).toBe('password_classes');
    expect(refusal({}, 'password', { username: 'password' })?.detail).toBe('password_contains_identifier');
  });
});

describe('tenant policy validation', () => {
  const refused = (p: TenantPolicy, current: TenantPolicy = {}) => {
    try {
      checkPolicy(p, current);
      return null;
    } catch (err) {
      return (err as SignetError).details.fieldViolations?.[0]?.field;
    }
  };

  it('password lengths: min ≥ 1, max ≥ min, max ≤ 1024 (against the stored policy for a patch)', () => {
    expect(refused({ passwordMinLength: 0 })).toBe('policy.password_min_length');
    expect(refused({ passwordMaxLength: 1025 })).toBe('policy.password_max_length');
    expect(refused({ passwordMinLength: 10, passwordMaxLength: 9 })).toBe('policy.password_max_length');
    expect(refused({ passwordMinLength: 200 })).toBe('policy.password_max_length'); // default max 128
    expect(refused({ passwordMinLength: 200 }, { passwordMaxLength: 300 })).toBeNull();
    expect(refused({ passwordMaxLength: 1024, passwordMinLength: 1 })).toBeNull();
  });

  it('classes and sign-up methods from their lists', () => {
    expect(refused({ passwordRequiredClasses: ['lower', 'emoji' as never] })).toBe('policy.password_required_classes');
    expect(refused({ signUpMethods: ['username', 'wechat' as never] })).toBe('policy.sign_up_methods');
    expect(checkPolicy({ signUpMethods: ['email', 'email'] }).signUpMethods).toEqual(['email']);
  });
});
