// Which claims each scope releases at the OpenID UserInfo endpoint (OIDC Core 5.4).
import { describe, expect, it } from 'vitest';
import { claimsOf } from '../../src/domain/sessions/userinfo.js';
import type { User } from '../../src/domain/model.js';

const user: User = {
  id: 'u1',
  tenantId: 't',
  userType: 'internal' as User['userType'],
  username: 'alice',
  email: null,
  emailVerified: false,
  phoneNumber: '+8613800000000',
  phoneVerified: true,
  name: null,
  picture: 'https://img.example/a.png',
  gender: 'FEMALE',
  locale: 'zh-CN',
  anonymous: false,
  passwordHash: null,
  status: 'active' as User['status'],
  expiresAt: null,
  groups: [],
  createdAt: new Date(0),
  updatedAt: new Date(1_700_000_000_999),
};

describe('claimsOf', () => {
  it('releases sub only without a claims scope', () => {
    expect(claimsOf(user, new Set(['openid', 'user']))).toEqual({ sub: 'u1' });
  });
  it('releases the profile claims, the name falling back to the username, updated_at in seconds', () => {
    expect(claimsOf(user, new Set(['profile']))).toEqual({
      sub: 'u1',
      name: 'alice',
      preferredUsername: 'alice',
      picture: 'https://img.example/a.png',
      gender: 'FEMALE',
      locale: 'zh-CN',
      updatedAt: 1_700_000_000,
    });
  });
  it('omits a contact the user does not have, and tells one they have with its verification', () => {
    expect(claimsOf(user, new Set(['email', 'phone']))).toEqual({ sub: 'u1', phoneNumber: '+8613800000000', phoneNumberVerified: true });
  });
});
