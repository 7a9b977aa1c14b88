// What a user may say about themselves, checked one way wherever it is set (sign-up, the profile,
// CloudBase's basic/edit): the chosen username, the name, picture, gender and locale.
import { invalidArgument } from '../errors.js';
import type { UserPatch } from '../ports.js';
import { normalizeUsername } from './identity.js';

/**
 * A username people choose starts with a letter (so sign-in never reads it as a phone number)
 * and has no "@" or "+" (never an e-mail address either): 2 to 64 letters, digits, ".", "_" or
 * "-". An operator may import other shapes (admin CreateUser); a user may not pick them, which
 * would let one account pass for the holder of an e-mail address or phone.
 */
const USERNAME = /^\p{L}[\p{L}\p{N}._-]{1,63}$/u;
const GENDERS = ['MALE', 'FEMALE', 'UNKNOWN'];
const MAX_NAME = 128;
const MAX_PICTURE = 1024;
const MAX_LOCALE = 35;
/** BCP 47 in shape: a language, then subtags ("zh-CN", "en", "zh-Hant-TW"); "_" read as "-". */
const LOCALE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/;

export function readUsername(raw: string, field = 'username'): string {
  const v = raw.trim();
  if (!USERNAME.test(v)) throw invalidArgument(field, '2 to 64 letters, digits, ".", "_" or "-", starting with a letter');
  return normalizeUsername(v);
}

export interface ProfileInput {
  name?: string;
  picture?: string;
  gender?: string;
  locale?: string;
}

export type Profile = Required<Pick<UserPatch, 'name' | 'picture' | 'gender' | 'locale'>>;

/** The profile fields given, checked; '' clears a field, an absent one is left alone. */
export function readProfile(p: ProfileInput, fields = { name: 'name', picture: 'picture' }): UserPatch {
  const patch: UserPatch = {};
  if (p.name !== undefined) {
    const name = p.name.trim();
    if ([...name].length > MAX_NAME) throw invalidArgument(fields.name, `at most ${MAX_NAME} characters`);
    patch.name = name || null;
  }
  if (p.picture !== undefined) {
    const pic = p.picture.trim();
    if (pic && !isWebUrl(pic)) throw invalidArgument(fields.picture, `an http(s) URL of at most ${MAX_PICTURE} characters`);
    patch.picture = pic || null;
  }
  if (p.gender !== undefined) {
    const g = p.gender.trim().toUpperCase();
    if (g && !GENDERS.includes(g)) throw invalidArgument('gender', 'must be MALE, FEMALE or UNKNOWN');
    patch.gender = g || null;
  }
  if (p.locale !== undefined) {
    const l = p.locale.trim().replace(/_/g, '-');
    if (l && (l.length > MAX_LOCALE || !LOCALE.test(l))) throw invalidArgument('locale', 'must be a language tag such as zh-CN or en');
    patch.locale = l || null;
  }
  return patch;
}

/** Every profile field, '' read as unset: what a new account starts with. */
export const readFullProfile = (p: Required<ProfileInput>): Profile => readProfile(p) as Profile;

function isWebUrl(v: string): boolean {
  if (v.length > MAX_PICTURE || /\s/.test(v)) return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
  } catch {
    return false;
  }
}
