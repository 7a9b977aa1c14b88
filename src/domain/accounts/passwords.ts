// Password hashing: argon2id with OWASP's parameters by default; bcrypt hashes imported from
// older systems (HZERO stores $2a$) still verify and are replaced at the next successful sign-in.
import { Algorithm, hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { availableParallelism } from 'node:os';
import { randomToken } from '../crypto/secrets.js';
import type { Config } from '../../config.js';

/**
 * At most one argon2 computation per core. More in parallel only queue in libuv's pool, hold
 * 19 MiB each and delay the other work that pool does (crypto, DNS), for no more throughput.
 */
class Gate {
  private running = 0;
  private waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  get active(): number {
    return this.running;
  }
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

export type Argon2Params = Config['argon2'];

/** Runs one argon2 computation (after its turn at the gate): how metrics and traces see them. */
export type HashInstrument = <T>(op: 'hash' | 'verify', task: () => Promise<T>) => Promise<T>;

export interface VerifyResult {
  ok: boolean;
  /** The stored hash is bcrypt or has other parameters: store `hash(password)` instead. */
  needsRehash: boolean;
}

const ARGON_PREFIX = '$argon2id$';

export class PasswordHasher {
  private readonly paramTag: string;
  private dummy: Promise<string> | undefined;
  private readonly gate = new Gate(Math.max(1, availableParallelism()));

  constructor(
    private readonly params: Argon2Params,
    private readonly instrument?: HashInstrument,
  ) {
    this.paramTag = `m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}`;
  }

  /** Computations waiting for a free slot, and running. */
  get queued(): number {
    return this.gate.queued;
  }
  get active(): number {
    return this.gate.active;
  }

  hash(password: string): Promise<string> {
    return this.run('hash', () =>
      argonHash(password, {
        algorithm: Algorithm.Argon2id,
        memoryCost: this.params.memoryCost,
        timeCost: this.params.timeCost,
        parallelism: this.params.parallelism,
      }),
    );
  }

  async verify(stored: string, password: string): Promise<VerifyResult> {
    if (stored.startsWith(ARGON_PREFIX)) {
      const ok = await this.run('verify', () => argonVerify(stored, password)).catch(() => false);
      return { ok, needsRehash: ok && !stored.includes(`$${this.paramTag}$`) };
    }
    if (/^\$2[aby]\$\d\d\$/.test(stored)) {
      const ok = await bcrypt.compare(password, stored).catch(() => false);
      return { ok, needsRehash: ok };
    }
    return { ok: false, needsRehash: false };
  }

  private run<T>(op: 'hash' | 'verify', task: () => Promise<T>): Promise<T> {
    const instrument = this.instrument;
    return this.gate.run(instrument ? () => instrument(op, task) : task);
  }

  /**
   * Spends the time of a real verification on a hash nobody knows the password of, so that an
   * unknown user answers as slowly as a wrong password and timing reveals no account.
   */
  async verifyDummy(password: string): Promise<void> {
    this.dummy ??= this.hash(randomToken());
    await this.verify(await this.dummy, password);
  }
}
