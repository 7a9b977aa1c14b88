// The consents of the in-memory storage (memory-storage.ts), held to the same contract suite as
// src/storage/prisma/consents.ts: the foreign keys of the table and signet_scope_union's rule
// (split on whitespace, each scope once, in the order first seen).
import type { Consent } from '../../src/domain/model.js';
import type { ConsentRepository } from '../../src/domain/ports.js';
import { SignetError } from '../../src/domain/errors.js';

const referenceMissing = (field: string) => new SignetError('not_found', 'reference_missing', { metadata: { field } });

const union = (...lists: string[][]): string[] => [...new Set(lists.flat().flatMap((s) => s.split(/\s+/)))].filter(Boolean);

/** Which rows exist, for the foreign keys. */
export interface ConsentReferences {
  tenant(id: string): boolean;
  user(id: string): boolean;
  client(id: string): boolean;
}

export function memoryConsents(refs: ConsentReferences, now: () => Date): ConsentRepository & { forgetUser(userId: string): void } {
  const rows = new Map<string, Consent>();
  const key = (userId: string, clientId: string) => JSON.stringify([userId, clientId]);
  const copy = (c: Consent): Consent => structuredClone(c);
  return {
    async find(userId, clientId) {
      const c = rows.get(key(userId, clientId));
      return c ? copy(c) : null;
    },
    async grant(c) {
      for (const [field, exists] of [
        ['tenant_id', refs.tenant(c.tenantId)],
        ['user_id', refs.user(c.userId)],
        ['client_id', refs.client(c.clientId)],
      ] as const) {
        if (!exists) throw referenceMissing(field);
      }
      const at = now();
      const k = key(c.userId, c.clientId);
      const old = rows.get(k);
      const row: Consent = old
        ? { ...old, scope: union(old.scope, c.scope), updatedAt: at }
        : { tenantId: c.tenantId, userId: c.userId, clientId: c.clientId, scope: union(c.scope), createdAt: at, updatedAt: at };
      rows.set(k, row);
      return copy(row);
    },
    async list(userId) {
      return [...rows.values()]
        .filter((c) => c.userId === userId)
        .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0))
        .map(copy);
    },
    async revoke(userId, clientId) {
      return rows.delete(key(userId, clientId));
    },
    /** ON DELETE CASCADE from users. */
    forgetUser(userId) {
      for (const [k, c] of rows) if (c.userId === userId) rows.delete(k);
    },
  };
}
