// A user as AuthService and AccountService answer with it: the one conversion of domain User to
// the UserInfo message (GetUserInfo, UpdateProfile, DeleteMe) and to what others may see of it.
import type { User } from '../domain/model.js';
import type { UserInfo } from '../gen/signet/auth/v1/user.js';
import type { SimpleUserProfile } from '../gen/signet/auth/v1/account.js';

export function userInfoOf(u: User): UserInfo {
  return {
    sub: u.id,
    name: u.name ?? u.username ?? '',
    username: u.username ?? '',
    email: u.email ?? '',
    email_verified: u.emailVerified,
    phone_number: u.phoneNumber ?? '',
    phone_number_verified: u.phoneVerified,
    groups: u.groups.map((id) => ({ id })),
    created_at: u.createdAt,
    user_type: u.userType,
    tenant_id: u.tenantId,
    status: u.status,
    picture: u.picture ?? '',
    gender: u.gender ?? '',
    locale: u.locale ?? '',
    updated_at: u.updatedAt,
    is_anonymous: u.anonymous,
    has_password: u.passwordHash !== null,
  };
}

/**
 * What one user may see of another: name, picture, gender, locale. The e-mail address and phone
 * number only of oneself: contacts are how accounts are reached and recovered, and a directory
 * of them would serve phishing and enumeration more than any feature.
 */
export function simpleProfileOf(u: User, self: boolean): SimpleUserProfile {
  return {
    sub: u.id,
    name: u.name ?? u.username ?? '',
    picture: u.picture ?? '',
    gender: u.gender ?? '',
    locale: u.locale ?? '',
    email: self ? (u.email ?? '') : '',
    phone_number: self ? (u.phoneNumber ?? '') : '',
  };
}
