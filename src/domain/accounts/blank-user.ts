// A user with no identifier, no password and no profile yet: what an anonymous sign-in and a
// backend's custom ticket create, each then setting what is theirs.
import { randomUUID } from 'node:crypto';
import type { NewUser } from '../ports.js';

export function blankUser(tenantId: string): NewUser {
  return {
    id: randomUUID(),
    tenantId,
    userType: 'P',
    username: null,
    email: null,
    emailVerified: false,
    phoneNumber: null,
    phoneVerified: false,
    name: null,
    picture: null,
    gender: null,
    locale: null,
    anonymous: false,
    passwordHash: null,
    status: 'active',
    expiresAt: null,
    groups: [],
  };
}
