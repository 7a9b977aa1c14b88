// The Storage port on Prisma: PostgreSQL and PGlite alike, through their driver adapters. Every
// repository's failures are classified here, once: an outage leaves as `unavailable`.
import type { Storage } from '../../domain/ports.js';
import type { PrismaClient } from '../../gen/prisma/client.js';
import { classifiedPort } from '../unavailable.js';
import { createAuditRepository } from './audit.js';
import { createConsentRepository } from './consents.js';
import { isDatabaseDown } from './errors.js';
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
  const c = <T extends object>(repo: T): T => classifiedPort(repo, 'database', isDatabaseDown);
  return {
    tenants: c(createTenantRepository(prisma)),
    clients: c(createClientRepository(prisma)),
    users: c(createUserRepository(prisma, sql)),
    sessions: c(createSessionRepository(prisma, sql)),
    consents: c(createConsentRepository(prisma)),
    signingKeys: c(createSigningKeyRepository(prisma)),
    transportKeys: c(createTransportKeyRepository(prisma)),
    ticketKeys: c(createTicketKeyRepository(prisma)),
    identities: c(createIdentityRepository(prisma)),
    audit: c(createAuditRepository(prisma, sql)),
    close: opts.close ?? (() => prisma.$disconnect()),
  };
}
