// CaptchaStore over the key-value store: every read is a GETDEL, so a challenge gets exactly one
// answer and a captcha token opens exactly one request.
import type { CaptchaStore, StoredChallenge } from '../../domain/ports.js';
import type { KeyValueStore } from '../kv.js';

const challengeKey = (idHash: string) => `captcha:{${idHash}}`;
const tokenKey = (tokenHash: string) => `captcha-token:{${tokenHash}}`;
// The key the HZERO dialect used before the port existed, so images outlive an upgrade.
const imageKey = (idHash: string) => `hzero-captcha-png:{${idHash}}`;

export class KvCaptchaStore implements CaptchaStore {
  constructor(private readonly kv: KeyValueStore) {}

  async saveChallenge(idHash: string, c: StoredChallenge, ttlSeconds: number): Promise<void> {
    await this.kv.set(challengeKey(idHash), JSON.stringify({ a: c.answerMac, s: c.state }), ttlSeconds);
  }

  async takeChallenge(idHash: string): Promise<StoredChallenge | null> {
    const raw = await this.kv.getDel(challengeKey(idHash));
    if (raw === null) return null;
    try {
      const { a, s } = JSON.parse(raw) as { a: unknown; s: unknown };
      return typeof a === 'string' && typeof s === 'string' ? { answerMac: a, state: s } : null;
    } catch {
      return null;
    }
  }

  async saveToken(tokenHash: string, state: string, ttlSeconds: number): Promise<void> {
    await this.kv.set(tokenKey(tokenHash), state, ttlSeconds);
  }

  takeToken(tokenHash: string): Promise<string | null> {
    return this.kv.getDel(tokenKey(tokenHash));
  }

  async saveImage(idHash: string, image: Buffer, ttlSeconds: number): Promise<void> {
    await this.kv.set(imageKey(idHash), image.toString('base64'), ttlSeconds);
  }

  async image(idHash: string): Promise<Buffer | null> {
    const b64 = await this.kv.get(imageKey(idHash));
    return b64 === null ? null : Buffer.from(b64, 'base64');
  }
}
