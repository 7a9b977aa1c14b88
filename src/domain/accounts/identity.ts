// Reading a sign-in identifier: which login field it is, and its canonical form.
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { invalidArgument } from '../errors.js';
import type { LoginField } from '../model.js';
import type { IdentifierInput } from '../commands.js';

/** The shape that makes an identifier an e-mail address (admin input is checked more strictly). */
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE_LIKE = /^\+?[\d\s()-]{6,20}$/;

export const normalizeUsername = (u: string): string => u.trim().toLowerCase();
export const normalizeEmail = (e: string): string => e.trim().toLowerCase();

/**
 * E.164 form of a phone number. A number without a country code is read as Chinese, the
 * market both CloudBase and HZERO serve; "+86 13800000000" and "13800000000" are the same.
 */
export function normalizePhone(p: string, field = 'phone_number'): string {
  const parsed = parsePhoneNumberFromString(p.trim(), 'CN');
  if (!parsed?.isPossible()) throw invalidArgument(field, 'not a valid phone number', 'invalid_argument.phone_format');
  return parsed.number;
}

export interface Identifier {
  field: LoginField;
  value: string;
}

/** Picks the identifier of a sign-in request; login_field pins how `username` is read. */
export function readIdentifier(input: IdentifierInput): Identifier {
  const given = [input.username, input.email, input.phoneNumber].filter((v) => v && v.trim() !== '');
  if (given.length === 0) throw invalidArgument('username', 'one of username, email or phone_number is required');
  if (given.length > 1) throw invalidArgument('username', 'give only one of username, email or phone_number');
  if (input.email) return { field: 'email', value: normalizeEmail(input.email) };
  if (input.phoneNumber) return { field: 'phone', value: normalizePhone(input.phoneNumber) };
  const raw = input.username!;
  switch (input.loginField || '') {
    case 'username':
      return { field: 'username', value: normalizeUsername(raw) };
    case 'email':
      return { field: 'email', value: normalizeEmail(raw) };
    case 'phone':
      return { field: 'phone', value: normalizePhone(raw, 'username') };
    case '':
      if (EMAIL.test(raw.trim())) return { field: 'email', value: normalizeEmail(raw) };
      if (PHONE_LIKE.test(raw.trim())) {
        const parsed = parsePhoneNumberFromString(raw.trim(), 'CN');
        if (parsed?.isPossible()) return { field: 'phone', value: parsed.number };
      }
      return { field: 'username', value: normalizeUsername(raw) };
    default:
      throw invalidArgument('login_field', 'must be username, phone or email');
  }
}
