// Secrets the embedded default generates into its data directory on first start: the
// key-encryption key that seals signing keys, and the admin API token.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Reads `name` from dataDir, creating it (mode 0600, exclusive) on first use. */
async function fileSecret(dataDir: string, name: string, make: () => string): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, name);
  try {
    await writeFile(file, `${make()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return (await readFile(file, 'utf8')).trim();
}

export async function keyEncryptionKey(configured: string | undefined, dataDir: string): Promise<Buffer> {
  const text = configured ?? (await fileSecret(dataDir, 'master.key', () => randomBytes(32).toString('base64')));
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error('SIGNET_KEY_ENCRYPTION_KEY must be 32 bytes, base64-encoded');
  return key;
}

export const adminToken = (configured: string | undefined, dataDir: string): Promise<string> =>
  configured ? Promise.resolve(configured) : fileSecret(dataDir, 'admin-token', () => randomBytes(32).toString('base64url'));
