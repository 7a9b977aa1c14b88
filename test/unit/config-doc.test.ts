// The README's configuration table is generated from the settings declared in src/config.ts
// (scripts/config-doc.ts), so it cannot drift from what Signet reads.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_SETTINGS } from '../../src/config.js';
import { BEGIN, END, README, configMarkdown, withConfigTable } from '../../scripts/config-doc.js';

describe('the configuration table', () => {
  it('is in the README exactly as scripts/config-doc.ts writes it', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toContain('## Configuration');
    expect(readme, "README.md's configuration table is out of date: run `npm run docs:config`").toBe(withConfigTable(readme));
  });

  it('has one row per variable, each described on one line', () => {
    const envs = ALL_SETTINGS.map((s) => s.env);
    expect(new Set(envs).size).toBe(envs.length);
    for (const s of ALL_SETTINGS) expect(s.doc.trim() !== '' && !s.doc.includes('\n'), s.env).toBe(true);
    expect(configMarkdown().split('\n')).toHaveLength(envs.length + 2);
  });

  it('rewrites only what lies between the markers', () => {
    const readme = `# x\n\nbefore\n\n${BEGIN}\n\n| stale |\n\n${END}\n\nafter\n`;
    expect(withConfigTable(readme)).toBe(`# x\n\nbefore\n\n${BEGIN}\n\n${configMarkdown()}\n\n${END}\n\nafter\n`);
    expect(() => withConfigTable('no markers')).toThrow(/config:begin/);
  });
});
