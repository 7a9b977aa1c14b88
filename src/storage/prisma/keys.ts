// Token-signing keys: few rows, read at start and on rotation.
import type { SigningKey, SigningKeyStatus } from '../../domain/model.js';
import type { SigningKeyRepository } from '../../domain/ports.js';
import type { Prisma, PrismaClient, SigningKey as SigningKeyRow } from '../../gen/prisma/client.js';
import { guard } from './errors.js';

export const toSigningKey = (r: SigningKeyRow): SigningKey => ({
  kid: r.kid,
  alg: r.alg,
  status: r.status as SigningKeyStatus,
  privateKeySealed: r.privateKeySealed,
  publicJwk: r.publicJwk as Record<string, string>,
  createdAt: r.createdAt,
  retireAt: r.retireAt,
});

export function createSigningKeyRepository(prisma: PrismaClient): SigningKeyRepository {
  return {
    async listPublished(now) {
      const rows = await prisma.signingKey.findMany({
        where: { OR: [{ status: 'active' }, { retireAt: null }, { retireAt: { gt: now } }] },
        orderBy: [{ createdAt: 'asc' }, { kid: 'asc' }],
      });
      return rows.map(toSigningKey);
    },
    async insert(k) {
      await guard(
        () => prisma.signingKey.create({
          data: {
            kid: k.kid, alg: k.alg, status: k.status, privateKeySealed: k.privateKeySealed,
            publicJwk: k.publicJwk as Prisma.InputJsonObject, createdAt: k.createdAt, retireAt: k.retireAt,
          },
        }),
        'kid',
      );
    },
    async retireAllExcept(exceptKid, retireAt) {
      await prisma.signingKey.updateMany({
        where: { status: 'active', kid: { not: exceptKid } },
        data: { status: 'retired', retireAt },
      });
    },
  };
}
