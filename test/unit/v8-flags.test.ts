// The V8 settings for memory (src/v8-flags.ts): those the server gives itself (an operator's own
// win), and the command-line one every way of starting the server passes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyV8Flags, HEAP_GROWING_PERCENT, NODE_FLAGS, signetV8Flags } from '../../src/v8-flags.js';
import { databaseKind } from '../../src/storage/prisma/index.js';

describe('V8 flags', () => {
  afterEach(() => vi.restoreAllMocks());

  it('bounds heap growth always, and keeps WebAssembly on its baseline tier only on PostgreSQL', () => {
    expect(signetV8Flags('postgresql')).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`, '--liftoff-only']);
    expect(signetV8Flags('pglite')).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
    expect(databaseKind('postgresql://u@h/db')).toBe('postgresql');
    expect(databaseKind('pglite-memory')).toBe('pglite');
    expect(databaseKind(undefined)).toBe('pglite');
    expect(() => databaseKind('mysql://h/db')).toThrow(/DATABASE_URL/);
  });

  it('sets each flag the process was not given', () => {
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined);
    expect(applyV8Flags(['--heap-growing-percent=30', '--liftoff-only'], [], '')).toEqual(['--heap-growing-percent=30', '--liftoff-only']);
    expect(set.mock.calls).toEqual([['--heap-growing-percent=30'], ['--liftoff-only']]);
  });

  it('leaves an operator’s own setting alone, on the command line or in NODE_OPTIONS, --no- forms included', () => {
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined);
    const flags = ['--heap-growing-percent=30', '--liftoff-only'];
    expect(applyV8Flags(flags, ['--heap_growing_percent=80'], '--max-old-space-size=512 --no-liftoff-only')).toEqual([]);
    expect(applyV8Flags(flags, [], '--heap-growing-percent=50')).toEqual(['--liftoff-only']);
    expect(set.mock.calls).toEqual([['--liftoff-only']]);
  });
});

describe('node command-line flags', () => {
  const root = path.resolve(import.meta.dirname, '../..');

  it('npm start and the image’s ENTRYPOINT give node the same ones', () => {
    const start: string = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.start;
    expect(start).toContain(`node ${NODE_FLAGS.join(' ')} `);
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'))?.[1];
    expect(JSON.parse(entrypoint ?? '[]')).toEqual(['node', ...NODE_FLAGS, '/app/dist/cli/main.js']);
  });
});
