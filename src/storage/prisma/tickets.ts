// Custom sign-in tickets' storage: the keys clients' backends sign with, and the links from the
// user ids those backends name to Signet users.
import type { TicketKey, TicketKeyAlg } from '../../domain/model.js';
import type { IdentityRepository, TicketKeyRepository } from '../../domain/ports.js';
import type { Prisma, PrismaClient, TicketKey as TicketKeyRow } from '../../gen/prisma/client.js';
import { guard } from './errors.js';
import { toUser, userData } from './directory.js';

export const toTicketKey = (r: TicketKeyRow): TicketKey => ({
  clientId: r.clientId,
  kid: r.kid,
  alg: r.alg as TicketKeyAlg,
  publicJwk: r.publicJwk as Record<string, string>,
  createdAt: r.createdAt,
});

export function createTicketKeyRepository(prisma: PrismaClient): TicketKeyRepository {
  return {
    async add(k) {
      const row = await guard(() =>
        prisma.ticketKey.create({
          data: { clientId: k.clientId, kid: k.kid, alg: k.alg, publicJwk: k.publicJwk as Prisma.InputJsonObject },
        }),
      );
      return toTicketKey(row);
    },
    async get(clientId, kid) {
      const row = await prisma.ticketKey.findUnique({ where: { clientId_kid: { clientId, kid } } });
      return row && toTicketKey(row);
    },
    async list(clientId) {
      const rows = await prisma.ticketKey.findMany({ where: { clientId }, orderBy: [{ createdAt: 'asc' }, { kid: 'asc' }] });
      return rows.map(toTicketKey);
    },
    async remove(clientId, kid) {
      const { count } = await prisma.ticketKey.deleteMany({ where: { clientId, kid } });
      return count > 0;
    },
  };
}

export function createIdentityRepository(prisma: PrismaClient): IdentityRepository {
  return {
    async findUser({ provider, subject }) {
      const row = await prisma.userIdentity.findUnique({ where: { provider_subject: { provider, subject } }, include: { user: true } });
      return row && toUser(row.user);
    },
    async createLinked(u, { provider, subject }) {
      // One transaction: a link lost to a concurrent request leaves no user behind.
      const row = await guard(
        () =>
          prisma.$transaction(async (tx) => {
            const user = await tx.user.create({ data: userData(u) });
            await tx.userIdentity.create({ data: { provider, subject, userId: user.id } });
            return user;
          }),
        'user_id',
      );
      return toUser(row);
    },
  };
}
