// Clients and tenants are read on every request and change rarely: a short in-process cache
// keeps them off the database on the hot path. An admin change made on this instance is seen at
// once; one made on another instance within `ttlMs`.
import type { Client, Tenant } from '../model.js';
import type { ClientRepository, TenantRepository } from '../ports.js';
import type { Clock } from '../clock.js';

class TtlCache<T> {
  private entries = new Map<string, { value: T | null; at: number }>();
  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly load: (id: string) => Promise<T | null>,
  ) {}

  /** `gate`: what must pass before the database is asked (see authenticateClient). */
  async get(id: string, gate?: () => Promise<unknown>): Promise<T | null> {
    const hit = this.entries.get(id);
    if (hit && this.clock.now() - hit.at < this.ttlMs) return hit.value;
    if (gate) await gate();
    const value = await this.load(id);
    // Unknown ids are not cached: a flood of random ids must not grow the map.
    if (value) this.entries.set(id, { value, at: this.clock.now() });
    else this.entries.delete(id);
    return value;
  }

  forget(id: string): void {
    this.entries.delete(id);
  }
}

export class Directory {
  private readonly clientCache: TtlCache<Client>;
  private readonly tenantCache: TtlCache<Tenant>;

  constructor(clients: ClientRepository, tenants: TenantRepository, clock: Clock, ttlMs = 5000) {
    this.clientCache = new TtlCache(clock, ttlMs, (id) => clients.get(id));
    this.tenantCache = new TtlCache(clock, ttlMs, (id) => tenants.get(id));
  }

  client(id: string, gate?: () => Promise<unknown>): Promise<Client | null> {
    return this.clientCache.get(id, gate);
  }

  tenant(id: string): Promise<Tenant | null> {
    return this.tenantCache.get(id);
  }

  forgetClient(id: string): void {
    this.clientCache.forget(id);
  }

  forgetTenant(id: string): void {
    this.tenantCache.forget(id);
  }
}
