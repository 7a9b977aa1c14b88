// Remembered consents in the domain (src/domain/accounts/consents.ts), on the in-memory storage:
// when a consent page must ask, what remembering adds, and what withdrawing ends.
import { beforeEach, describe, expect, it } from 'vitest';
import { adminWithdrawConsent, consentNeeded, listUserConsents, rememberConsent } from '../../src/domain/accounts/consents.js';
import * as admin from '../../src/domain/accounts/admin.js';
import type { Client } from '../../src/domain/model.js';
import { detailOf, userInput } from '../helpers/commands.js';
import { fakeDeps, storedAuditEvents, type FakeDeps } from '../helpers/fakes.js';

/** A client of tenant t1 that may run the authorization code grant. */
const clientInput = (id: string, firstParty: boolean) => ({
  id,
  tenantId: 't1',
  name: `Client ${id}`,
  public: true,
  grantTypes: ['authorization_code'],
  scopes: ['openid', 'user', 'email', 'profile'],
  accessTokenTtl: 0,
  refreshTokenTtl: 0,
  maxSessions: 5,
  redirectUris: ['https://app.example/cb'],
  firstParty,
});

describe('consents', () => {
  let deps: FakeDeps;
  let own: Client;
  let partner: Client;
  let userId: string;
  let otherId: string;

  beforeEach(async () => {
    deps = await fakeDeps();
    await admin.createTenant(deps, 't1', 'T1', {});
    own = (await admin.createClient(deps, clientInput('own', true))).client;
    partner = (await admin.createClient(deps, clientInput('partner', false))).client;
    userId = (await admin.createUser(deps, userInput({ username: 'u1' }))).id;
    otherId = (await admin.createUser(deps, userInput({ username: 'u2' }))).id;
  });

  const needed = (client: Client, scope: string[], force = false, user = userId) =>
    consentNeeded(deps, { client, userId: user, scope, force });
  const remember = (scope: string[], clientId = partner.id, user = userId) =>
    rememberConsent(deps, { tenantId: 't1', clientId, userId: user, scope });

  describe('consentNeeded', () => {
    it('never asks for a first-party client, unless forced', async () => {
      expect(await needed(own, ['openid', 'email'])).toBe(false);
      expect(await needed(own, [])).toBe(false);
      expect(await needed(own, ['openid'], true)).toBe(true);
    });

    it('asks for a third-party client the user never consented to', async () => {
      expect(await needed(partner, ['openid'])).toBe(true);
      expect(await needed(partner, [])).toBe(true);
    });

    it('asks again when the consent covers only part of the scopes asked', async () => {
      await remember(['openid']);
      expect(await needed(partner, ['openid', 'email'])).toBe(true);
      expect(await needed(partner, ['email'])).toBe(true);
    });

    it('does not ask when the consent covers every scope asked, however they are listed', async () => {
      await remember(['openid', 'email', 'profile']);
      expect(await needed(partner, ['openid', 'email', 'profile'])).toBe(false);
      expect(await needed(partner, ['email', 'openid'])).toBe(false);
      expect(await needed(partner, ['email openid', 'email'])).toBe(false);
      expect(await needed(partner, [])).toBe(false);
    });

    it('asks when forced, even with a full consent', async () => {
      await remember(['openid']);
      expect(await needed(partner, ['openid'], true)).toBe(true);
    });

    it("reads the user's own consent only", async () => {
      await remember(['openid'], partner.id, otherId);
      expect(await needed(partner, ['openid'])).toBe(true);
      expect(await needed(partner, ['openid'], false, otherId)).toBe(false);
    });
  });

  describe('rememberConsent', () => {
    it('adds to what was granted before, each scope once, and audits each grant', async () => {
      await remember(['openid', 'openid', 'profile']);
      await remember(['email', 'openid']);
      expect((await deps.storage.consents.find(userId, partner.id))?.scope).toEqual(['openid', 'profile', 'email']);
      await deps.audit.flush();
      const events = (await storedAuditEvents(deps.storage)).filter((e) => e.event === 'consent_granted');
      expect(events.map((e) => [e.userId, e.clientId, e.tenantId, e.reason])).toEqual([
        [userId, partner.id, 't1', 'openid profile'],
        [userId, partner.id, 't1', 'email openid'],
      ]);
    });
  });

  describe("the operator's withdrawal", () => {
    const start = async (id: string, clientId: string, user = userId) => {
      const session = { id, tenantId: 't1', userId: user, clientId, deviceId: '', channel: 'web', scope: 'openid', amr: ['pwd'] };
      const expiresAt = new Date(Date.now() + 3600_000);
      await deps.storage.sessions.start({ ...session, expiresAt, authTime: new Date() }, { hash: `rt-${id}`, sessionId: id, expiresAt }, 5);
    };

    it("forgets the consent and ends the user's sessions on that client only, marking them revoked", async () => {
      await remember(['openid']);
      await remember(['openid'], partner.id, otherId);
      await start('s1', partner.id);
      await start('s2', partner.id);
      await start('s3', own.id);
      await start('s4', partner.id, otherId);
      expect((await listUserConsents(deps, userId)).map((c) => [c.clientId, c.clientName, c.scope])).toEqual([
        [partner.id, 'Client partner', ['openid']],
      ]);

      expect(await adminWithdrawConsent(deps, userId, partner.id)).toBe(true);
      expect(await deps.storage.consents.find(userId, partner.id)).toBeNull();
      for (const sid of ['s1', 's2']) {
        expect(await deps.storage.sessions.get(sid)).toMatchObject({ revokeReason: 'consent_revoked' });
        expect(await deps.stores.revocations.isRevoked(sid)).toBe(true);
      }
      for (const sid of ['s3', 's4']) {
        expect(await deps.storage.sessions.get(sid)).toMatchObject({ revokedAt: null });
        expect(await deps.stores.revocations.isRevoked(sid)).toBe(false);
      }
      expect(await deps.storage.consents.find(otherId, partner.id)).not.toBeNull();
      expect(await needed(partner, ['openid'])).toBe(true);

      // Nothing left: false, and nothing more audited.
      expect(await adminWithdrawConsent(deps, userId, partner.id)).toBe(false);
      await deps.audit.flush();
      const events = (await storedAuditEvents(deps.storage)).filter((e) => e.event === 'consent_revoked');
      expect(events.map((e) => [e.userId, e.clientId, e.reason])).toEqual([[userId, partner.id, 'admin']]);
    });

    it('refuses an unknown user and a missing client id', async () => {
      expect(await detailOf(adminWithdrawConsent(deps, 'nobody', partner.id))).toBe('not_found:user_unknown');
      expect(await detailOf(listUserConsents(deps, 'nobody'))).toBe('not_found:user_unknown');
      expect((await detailOf(adminWithdrawConsent(deps, userId, ''))).startsWith('invalid_argument:')).toBe(true);
    });
  });
});
