import { describe, expect, it } from 'vitest';
import bcrypt from 'bcryptjs';
import { PasswordHasher } from '../../src/domain/accounts/passwords.js';

const fast = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

describe('PasswordHasher', () => {
  it('hashes with argon2id and the configured parameters', async () => {
    const h = await fast.hash('s3cret');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(await fast.verify(h, 's3cret')).toEqual({ ok: true, needsRehash: false });
    expect(await fast.verify(h, 'S3cret')).toEqual({ ok: false, needsRehash: false });
  });

  it('asks for a rehash when the parameters changed', async () => {
    const h = await fast.hash('s3cret');
    const stronger = new PasswordHasher({ memoryCost: 2048, timeCost: 2, parallelism: 1 });
    expect(await stronger.verify(h, 's3cret')).toEqual({ ok: true, needsRehash: true });
    expect(await stronger.verify(h, 'wrong')).toEqual({ ok: false, needsRehash: false });
  });

  it('verifies legacy bcrypt ($2a$, $2b$) and always asks for an upgrade', async () => {
    for (const prefix of ['$2a$', '$2b$']) {
      const h = bcrypt.hashSync('old', 4).replace(/^\$2[ab]\$/, prefix);
      expect(await fast.verify(h, 'old')).toEqual({ ok: true, needsRehash: true });
      expect(await fast.verify(h, 'new')).toEqual({ ok: false, needsRehash: false });
    }
  });

  it('fails closed on anything else', async () => {
    for (const h of ['', 'plain', '$argon2id$garbage', '$1$md5$x']) {
      expect(await fast.verify(h, 'plain')).toEqual({ ok: false, needsRehash: false });
    }
  });

  it('spends a real verification on unknown users', async () => {
    await expect(fast.verifyDummy('anything')).resolves.toBeUndefined();
  });
});
