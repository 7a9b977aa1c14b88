// RevocationMarks and ReplayMemory over the key-value store: plain marks with a TTL. Each key
// stands alone (no hash tag needed): every step is one command on one key.
import type { OneTimeTokens, ReplayMemory, RevocationMarks } from '../../domain/ports.js';
import type { KeyValueStore } from '../kv.js';

const revokedKey = (sid: string) => `sess:revoked:${sid}`;
const replayKey = (digest: string) => `pwct:${digest}`;
const oneTimeKey = (kind: string, digest: string) => `once:${kind}:${digest}`;

export class KvRevocationMarks implements RevocationMarks {
  constructor(private readonly kv: KeyValueStore) {}

  async mark(sessionIds: string[], ttlSeconds: number): Promise<void> {
    await Promise.all(sessionIds.map((sid) => this.kv.set(revokedKey(sid), '1', ttlSeconds)));
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    return (await this.kv.get(revokedKey(sessionId))) !== null;
  }
}

export class KvReplayMemory implements ReplayMemory {
  constructor(private readonly kv: KeyValueStore) {}

  rememberNew(digests: string[], ttlSeconds: number): Promise<boolean[]> {
    return Promise.all(digests.map((d) => this.kv.setIfAbsent(replayKey(d), '1', ttlSeconds)));
  }

  async forget(digests: string[]): Promise<void> {
    if (digests.length > 0) await this.kv.del(...digests.map(replayKey));
  }
}

export class KvOneTimeTokens implements OneTimeTokens {
  constructor(private readonly kv: KeyValueStore) {}

  save(kind: string, digest: string, value: string, ttlSeconds: number): Promise<void> {
    return this.kv.set(oneTimeKey(kind, digest), value, ttlSeconds);
  }

  take(kind: string, digest: string): Promise<string | null> {
    return this.kv.getDel(oneTimeKey(kind, digest));
  }
}
