// Remembered consents. grant() is one INSERT … ON CONFLICT DO UPDATE whose update merges the
// scopes with signet_scope_union (migration 20261204000000_consents): the row lock PostgreSQL takes
// on conflict makes concurrent grants apply one after another, each onto the other's result.
import type { Consent } from '../../domain/model.js';
import type { ConsentRepository, NewConsent } from '../../domain/ports.js';
import type { Consent as ConsentRow, PrismaClient } from '../../gen/prisma/client.js';
import { guard } from './errors.js';

const splitScope = (scope: string): string[] => scope.split(/\s+/).filter(Boolean);

const toConsent = (r: ConsentRow): Consent => ({
  tenantId: r.tenantId,
  userId: r.userId,
  clientId: r.clientId,
  scope: splitScope(r.scope),
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

interface GrantedRow {
  tenant_id: string;
  user_id: string;
  client_id: string;
  scope: string;
  created_at: Date;
  updated_at: Date;
}

export function createConsentRepository(prisma: PrismaClient): ConsentRepository {
  return {
    async find(userId, clientId) {
      const row = await prisma.consent.findUnique({ where: { userId_clientId: { userId, clientId } } });
      return row && toConsent(row);
    },

    async grant(c: NewConsent) {
      const asked = c.scope.join(' ');
      const [r] = await guard(
        () => prisma.$queryRaw<GrantedRow[]>`
          INSERT INTO consents AS c (tenant_id, user_id, client_id, scope)
          VALUES (${c.tenantId}, ${c.userId}, ${c.clientId}, signet_scope_union('', ${asked}))
          ON CONFLICT (user_id, client_id) DO UPDATE
            SET scope = signet_scope_union(c.scope, EXCLUDED.scope), updated_at = now()
          RETURNING tenant_id, user_id, client_id, scope, created_at, updated_at`,
      );
      return toConsent({
        tenantId: r.tenant_id,
        userId: r.user_id,
        clientId: r.client_id,
        scope: r.scope,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      });
    },

    async list(userId) {
      const rows = await prisma.consent.findMany({ where: { userId }, orderBy: { clientId: 'asc' } });
      return rows.map(toConsent);
    },

    async revoke(userId, clientId) {
      const { count } = await prisma.consent.deleteMany({ where: { userId, clientId } });
      return count > 0;
    },
  };
}
