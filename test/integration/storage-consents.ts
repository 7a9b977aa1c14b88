// The consent part of the storage contract (src/domain/ports.ts ConsentRepository, and
// SessionRepository.revokeClient that a withdrawn consent calls), run by storage.test.ts inside
// each backend's suite, against the data that suite set up.
import { describe, expect, it } from 'vitest';
import type { SignetError } from '../../src/domain/errors.js';
import type { NewClient, NewUser, Storage } from '../../src/domain/ports.js';
import type { PrismaClient } from '../../src/storage/prisma/index.js';

export interface ConsentContract {
  storage(): Storage;
  /** The Prisma client of a Prisma backend: what no port does (deleting a client). */
  prisma(): PrismaClient | undefined;
  tenantId: string;
  nextId(prefix: string): string;
  newUser(): NewUser;
  newClient(id: string, tenantId: string): NewClient;
  startSession(userId: string, over: { client?: string }): Promise<{ id: string }>;
  rejection(p: Promise<unknown>): Promise<SignetError>;
}

export function consentContract(c: ConsentContract) {
  describe('consents', () => {
    const s = () => c.storage();
    const user = async () => (await s().users.create(c.newUser())).id;
    const client = async () => (await s().clients.create(c.newClient(c.nextId('client'), c.tenantId))).id;
    const grant = (userId: string, clientId: string, scope: string[]) =>
      s().consents.grant({ tenantId: c.tenantId, userId, clientId, scope });

    it('grants, adds to a grant (each scope once, first-granted order), finds, lists by client and revokes', async () => {
      const [u, other] = [await user(), await user()];
      const [c1, c2] = [await client(), await client()];
      expect(await s().consents.find(u, c1)).toBeNull();

      const first = await grant(u, c1, ['openid', 'profile']);
      expect(first).toMatchObject({ tenantId: c.tenantId, userId: u, clientId: c1, scope: ['openid', 'profile'] });
      expect(first.createdAt).toBeInstanceOf(Date);
      expect(first.updatedAt).toEqual(first.createdAt);
      expect(await s().consents.find(u, c1)).toEqual(first);

      const more = await grant(u, c1, ['email', 'openid']);
      expect(more.scope).toEqual(['openid', 'profile', 'email']);
      expect(more.createdAt).toEqual(first.createdAt);
      expect(more.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());
      expect(await s().consents.find(u, c1)).toEqual(more);
      // Asking again for what was granted changes nothing but the time.
      expect((await grant(u, c1, ['profile'])).scope).toEqual(['openid', 'profile', 'email']);

      // A consent without scopes is still a consent.
      expect((await grant(u, c2, [])).scope).toEqual([]);
      const listed = await s().consents.list(u);
      expect(listed.map((x) => [x.clientId, x.scope])).toEqual([
        [c1, ['openid', 'profile', 'email']],
        [c2, []],
      ]);
      expect(await s().consents.list(other)).toEqual([]);
      expect(await s().consents.find(other, c1)).toBeNull();

      expect(await s().consents.revoke(u, c1)).toBe(true);
      expect(await s().consents.revoke(u, c1)).toBe(false);
      expect(await s().consents.revoke(other, c2)).toBe(false);
      expect(await s().consents.find(u, c1)).toBeNull();
      expect((await s().consents.list(u)).map((x) => x.clientId)).toEqual([c2]);
      // Granted again after a revocation: a new consent, only the new scopes.
      expect((await grant(u, c1, ['email'])).scope).toEqual(['email']);
    });

    it('stores scopes split on whitespace, each once, none empty', async () => {
      const [u, c1] = [await user(), await client()];
      expect((await grant(u, c1, ['a', 'a', ' b  c', '', 'b'])).scope).toEqual(['a', 'b', 'c']);
      expect((await grant(u, c1, ['c d', 'a'])).scope).toEqual(['a', 'b', 'c', 'd']);
      expect((await s().consents.find(u, c1))?.scope).toEqual(['a', 'b', 'c', 'd']);
    });

    it('lets concurrent grants all land: 20 at once leave the union of them', async () => {
      const [u, c1] = [await user(), await client()];
      const scopes = Array.from({ length: 20 }, (_, i) => `s${i}`);
      await Promise.all(scopes.map((x) => grant(u, c1, ['common', x])));
      const stored = await s().consents.find(u, c1);
      expect([...(stored?.scope ?? [])].sort()).toEqual(['common', ...scopes].sort());
    });

    it('refuses an unknown tenant, user or client as not_found naming the field, storing nothing', async () => {
      const [u, c1] = [await user(), await client()];
      const cases: [Parameters<Storage['consents']['grant']>[0], string][] = [
        [{ tenantId: c.tenantId, userId: 'no-such-user', clientId: c1, scope: ['a'] }, 'user_id'],
        [{ tenantId: c.tenantId, userId: u, clientId: 'no-such-client', scope: ['a'] }, 'client_id'],
        [{ tenantId: 'no-such-tenant', userId: u, clientId: c1, scope: ['a'] }, 'tenant_id'],
      ];
      for (const [input, field] of cases) {
        const e = await c.rejection(s().consents.grant(input));
        expect(e.reason, field).toBe('not_found');
        expect(e.details.metadata, field).toEqual({ field });
        expect(e.message).toBe('not_found');
      }
      expect(await s().consents.list(u)).toEqual([]);
    });

    it('goes with the user (and, on SQL, the client) it belongs to', async () => {
      const [u, kept, c1, c2] = [await user(), await user(), await client(), await client()];
      await grant(u, c1, ['a']);
      await grant(kept, c1, ['a']);
      await grant(kept, c2, ['b']);
      expect(await s().users.delete(u)).toBe(true);
      expect(await s().consents.find(u, c1)).toBeNull();
      expect(await s().consents.list(u)).toEqual([]);
      expect((await s().consents.list(kept)).map((x) => x.clientId)).toEqual([c1, c2]);
      const prisma = c.prisma();
      if (prisma) {
        await prisma.client.delete({ where: { id: c2 } });
        expect((await s().consents.list(kept)).map((x) => x.clientId)).toEqual([c1]);
      }
    });

    it("revokes a user's live sessions on one client only, once", async () => {
      const [u, other, c1, c2] = [await user(), await user(), await client(), await client()];
      const a = await c.startSession(u, { client: c1 });
      const b = await c.startSession(u, { client: c1 });
      const elsewhere = await c.startSession(u, { client: c2 });
      const theirs = await c.startSession(other, { client: c1 });
      const ended = await s().sessions.revokeClient(u, c1, 'consent_revoked');
      expect([...ended].sort()).toEqual([a.id, b.id].sort());
      expect(await s().sessions.get(a.id)).toMatchObject({ revokeReason: 'consent_revoked' });
      expect((await s().sessions.get(a.id))?.revokedAt).toBeInstanceOf(Date);
      for (const id of [elsewhere.id, theirs.id]) expect(await s().sessions.get(id)).toMatchObject({ revokedAt: null });
      expect(await s().sessions.revokeClient(u, c1, 'again')).toEqual([]);
      expect(await s().sessions.get(b.id)).toMatchObject({ revokeReason: 'consent_revoked' });
    });
  });
}
