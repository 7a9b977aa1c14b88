import { describe, expect, it } from 'vitest';
import { normalizePhone, readIdentifier } from '../../src/domain/accounts/identity.js';
import { SignetError } from '../../src/domain/errors.js';

describe('readIdentifier', () => {
  it.each([
    [{ username: 'Alice' }, { field: 'username', value: 'alice' }],
    [{ username: 'Bob@Example.COM' }, { field: 'email', value: 'bob@example.com' }],
    [{ username: '+86 138 0000 0000' }, { field: 'phone', value: '+8613800000000' }],
    [{ username: '13800000000' }, { field: 'phone', value: '+8613800000000' }],
    [
      { username: '13800000000', loginField: 'username' },
      { field: 'username', value: '13800000000' },
    ],
    [{ email: ' X@Y.io ' }, { field: 'email', value: 'x@y.io' }],
    [{ phoneNumber: '+1 (415) 555-2671' }, { field: 'phone', value: '+14155552671' }],
  ])('%j → %j', (input, expected) => {
    expect(readIdentifier(input)).toEqual(expected);
  });

  it('refuses none, several, or an unknown login_field', () => {
    for (const input of [{}, { username: 'a', email: 'a@b.c' }, { username: 'a', loginField: 'nick' }]) {
      expect(() => readIdentifier(input)).toThrow(SignetError);
    }
  });

  it('refuses impossible phone numbers with invalid_argument', () => {
    try {
      normalizePhone('+1 2');
      expect.unreachable();
    } catch (e) {
      expect((e as SignetError).reason).toBe('invalid_argument');
      expect((e as SignetError).details.fieldViolations?.[0].field).toBe('phone_number');
    }
  });
});
