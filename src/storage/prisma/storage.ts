// The Storage port on Prisma: PostgreSQL and PGlite alike, through their driver adapters.
import type { Storage } from '../../domain/ports.js';
import type { PrismaClient } from '../../gen/prisma/client.js';
import { createAuditRepository } from './audit.js';
import { createConsentRepository } from './consents.js';
import { createClientRepository, createTenantRepository, createUserRepository } from './directory.js';
import { createSigningKeyRepository, createTransportKeyRepository } from './keys.js';
import { createSessionRepository, prismaExecutor, type SqlExecutor } from './sessions.js';
import { createIdentityRepository, createTicketKeyRepository } from './tickets.js';

export interface PrismaStorageOptions {
  /** Defaults to disconnecting the client; openDatabase also ends the pool or PGlite it owns. */
  close?: () => Promise<void>;
  /** Runs the refresh-path and audit-append statements on the driver; defaults to Prisma's raw API. */
  sql?: SqlExecutor;
}

export function createPrismaStorage(prisma: PrismaClient, opts: PrismaStorageOptions = {}): Storage {
  const sql = opts.sql ?? prismaExecutor(prisma);
  return {
    tenants: createTenantRepository(prisma),
    clients: createClientRepository(prisma),
    users: createUserRepository(prisma, sql),
    sessions: createSessionRepository(prisma, sql),
    consents: createConsentRepository(prisma),
    signingKeys: createSigningKeyRepository(prisma),
    transportKeys: createTransportKeyRepository(prisma),
    ticketKeys: createTicketKeyRepository(prisma),
    identities: createIdentityRepository(prisma),
    audit: createAuditRepository(prisma, sql),
    close: opts.close ?? (() => prisma.$disconnect()),
  };
}
