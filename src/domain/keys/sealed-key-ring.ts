// The life cycle both key rings share (signing keys in keys/signing-keys.ts, RSA transport keys in
// keys/transport-keys.ts): keys are created on first start and stored sealed with the key-encryption
// key; every instance re-reads the table every 30 s so a rotation made elsewhere is picked up;
// a rotation makes a new active key and retires the others at a given time.
//
// Instances that start together on an empty table may each create a key: they all stay active,
// the newest one is used once the table is re-read, and the next rotation retires the rest.
// (Retiring the losers at start-up would race too: an instance with a stale view could retire
// the winner, leaving no active key at all.)

import type { Clock } from '../clock.js';

/** How often an instance re-reads the key table. */
const RELOAD_MS = 30_000;

export interface KeyRecord {
  status: string;
}

export abstract class SealedKeyRing<R extends KeyRecord, L extends { record: R }> {
  protected loaded = new Map<string, L>();
  /** The newest active key; several can be active for a moment after a start-up race. */
  protected active: L | undefined;
  protected loadedAt = 0;
  private reloading: Promise<void> | undefined;

  constructor(protected readonly clock: Clock) {}

  protected now(): Date {
    return new Date(this.clock.now());
  }

  protected abstract idOf(record: R): string;
  /** The records this ring keeps loaded, oldest first. */
  protected abstract listRecords(): Promise<R[]>;
  /** Makes a key, stores its sealed record and returns the record. */
  protected abstract createRecord(): Promise<R>;
  protected abstract retireAllExcept(id: string, retireAt: Date): Promise<void>;
  /** Unseals a record's private key: done once per key and instance. */
  protected abstract open(record: R): L;
  /** Derived state to rebuild after each reload (e.g. the JWKS). */
  protected afterReload(_records: R[]): void {}

  /** Whether a key is loaded to sign (or encrypt) with: part of readiness. */
  hasActiveKey(): boolean {
    return this.active !== undefined;
  }

  /** Loads the keys, creating the first one when there is none. */
  async init(): Promise<void> {
    await this.reload();
    if (!this.active) {
      await this.createRecord();
      await this.reload();
    }
  }

  /** Makes a new active key and retires the others at `retireAt`; returns the new record. */
  protected async rotateUntil(retireAt: Date): Promise<R> {
    const record = await this.createRecord();
    await this.retireAllExcept(this.idOf(record), retireAt);
    await this.reload();
    return record;
  }

  protected async fresh(): Promise<void> {
    if (this.active && this.clock.now() - this.loadedAt < RELOAD_MS) return;
    await this.reloadShared();
  }

  /** One reload at a time; concurrent callers wait for the same one. */
  protected async reloadShared(): Promise<void> {
    this.reloading ??= this.reload().finally(() => (this.reloading = undefined));
    await this.reloading;
  }

  private async reload(): Promise<void> {
    const records = await this.listRecords();
    const next = new Map<string, L>();
    for (const record of records) {
      const known = this.loaded.get(this.idOf(record));
      next.set(this.idOf(record), known ? { ...known, record } : this.open(record));
    }
    this.loaded = next;
    this.active = [...next.values()].filter((k) => k.record.status === 'active').at(-1);
    this.afterReload(records);
    this.loadedAt = this.clock.now();
  }
}
