// TEMPORARY STUB (replaced by h/consent)
import type { Deps } from '../deps.js';
import type { Client } from '../model.js';
const mem = new Map<string, Set<string>>();
export async function consentNeeded(_deps: Deps, a: { client: Client; userId: string; scope: string[]; force: boolean }): Promise<boolean> {
  if (a.force) return true;
  if (a.client.firstParty) return false;
  const g = mem.get(`${a.userId}/${a.client.id}`);
  return !g || !a.scope.every((s) => g.has(s));
}
export async function rememberConsent(
  _deps: Deps,
  a: { tenantId: string; clientId: string; userId: string; scope: string[] },
): Promise<void> {
  const k = `${a.userId}/${a.clientId}`;
  mem.set(k, new Set([...(mem.get(k) ?? []), ...a.scope]));
}
