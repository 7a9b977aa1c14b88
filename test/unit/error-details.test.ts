// Every SignetError says why, for the operator, and no dialect ever tells the client.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../../src/domain/errors.js';
import { toGrpcServiceError, toStatus } from '../../src/transport/status.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (name === 'gen') return [];
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The arguments of each `new SignetError(` call, split at top-level commas. */
function throwSites(text: string): string[][] {
  const sites: string[][] = [];
  for (let i = text.indexOf('new SignetError('); i >= 0; i = text.indexOf('new SignetError(', i + 1)) {
    const args: string[] = [];
    let depth = 0;
    let quote = '';
    let current = '';
    for (let j = i + 'new SignetError('.length; j < text.length; j++) {
      const c = text[j];
      if (quote) {
        current += c;
        if (c === quote && text[j - 1] !== '\\') quote = '';
        continue;
      }
      if (c === "'" || c === '"' || c === '`') quote = c;
      if ('([{'.includes(c)) depth++;
      if (')]}'.includes(c)) {
        if (depth === 0) {
          args.push(current.trim());
          break;
        }
        depth--;
      }
      if (c === ',' && depth === 0) {
        args.push(current.trim());
        current = '';
        continue;
      }
      current += c;
    }
    sites.push(args);
  }
  return sites;
}

describe('error details', () => {
  it('are given at every throw site: a snake_case code, or a detail carried from another error', () => {
    const files = sources(path.resolve('src'));
    let count = 0;
    for (const file of files) {
      for (const args of throwSites(readFileSync(file, 'utf8'))) {
        if (file.endsWith(path.join('domain', 'errors.ts')) && args[0] === 'reason') continue; // the class itself
        count++;
        const detail = args[1] ?? '';
        const ok =
          /^'[a-z][a-z0-9_]*'$/.test(detail) ||
          /^`[a-z_]*\$\{[\w.]+\}[a-z_]*`$/.test(detail) ||
          /^[\w.]+$/.test(detail) ||
          /^[\w.]+ \? '[a-z_]+' : '[a-z_]+'$/.test(detail);
        expect(ok, `${path.relative('.', file)}: new SignetError(${args.join(', ')})`).toBe(true);
      }
    }
    expect(count).toBeGreaterThan(40);
  });

  it('are never rendered, in either dialect', () => {
    const err = new SignetError('invalid_grant', 'replay_superseded_secret_detail', { metadata: { x: 'y' } });
    const rendered = toStatus(err, 'en');
    expect(JSON.stringify(rendered)).not.toContain('replay_superseded_secret_detail');
    const grpcError = toGrpcServiceError(rendered);
    const bin = grpcError.metadata?.get('grpc-status-details-bin') ?? [];
    expect(Buffer.concat(bin.map((b) => Buffer.from(b as Buffer))).toString('latin1')).not.toContain('replay_superseded');
    expect(`${grpcError.message}${grpcError.details}`).not.toContain('replay_superseded');
  });
});
