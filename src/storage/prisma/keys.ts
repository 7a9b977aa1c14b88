// Token-signing keys and transport keys: few rows, read at start, on rotation and every 30 s.
import type { SigningKey, SigningKeyStatus, TransportKey, TransportKeyStatus } from '../../domain/model.js';
import type { SigningKeyRepository, TransportKeyRepository } from '../../domain/ports.js';
import type { Prisma, PrismaClient, SigningKey as SigningKeyRow, TransportKey as TransportKeyRow } from '../../gen/prisma/client.js';
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
        () =>
          prisma.signingKey.create({
            data: {
              kid: k.kid,
              alg: k.alg,
              status: k.status,
              privateKeySealed: k.privateKeySealed,
              publicJwk: k.publicJwk as Prisma.InputJsonObject,
              createdAt: k.createdAt,
              retireAt: k.retireAt,
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

// ---- transport keys: the RSA keys clients encrypt passwords with; the same shape of life.

export const toTransportKey = (r: TransportKeyRow): TransportKey => ({
  thumbprint: r.thumbprint,
  bits: r.bits,
  status: r.status as TransportKeyStatus,
  privateKeySealed: r.privateKeySealed,
  publicKeyPem: r.publicKeyPem,
  createdAt: r.createdAt,
  retireAt: r.retireAt,
});

export function createTransportKeyRepository(prisma: PrismaClient): TransportKeyRepository {
  return {
    async listUsable(now) {
      const rows = await prisma.transportKey.findMany({
        where: { OR: [{ status: 'active' }, { retireAt: null }, { retireAt: { gt: now } }] },
        orderBy: [{ createdAt: 'asc' }, { thumbprint: 'asc' }],
      });
      return rows.map(toTransportKey);
    },
    async insert(k) {
      await guard(
        () =>
          prisma.transportKey.create({
            data: {
              thumbprint: k.thumbprint,
              bits: k.bits,
              status: k.status,
              privateKeySealed: k.privateKeySealed,
              publicKeyPem: k.publicKeyPem,
              createdAt: k.createdAt,
              retireAt: k.retireAt,
            },
          }),
        'thumbprint',
      );
    },
    async retireAllExcept(exceptThumbprint, retireAt) {
      await prisma.transportKey.updateMany({
        where: { status: 'active', thumbprint: { not: exceptThumbprint } },
        data: { status: 'retired', retireAt },
      });
    },
  };
}
