// Writes the README's configuration table from the settings declared in src/config.ts:
//   npm run docs:config
// test/unit/config-doc.test.ts checks that README.md holds exactly this table between the
// markers, so the table is never edited by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ALL_SETTINGS, type Setting } from '../src/config.js';

export const BEGIN = '<!-- config:begin -->';
export const END = '<!-- config:end -->';
export const README = new URL('../README.md', import.meta.url);

const cell = (s: string) => s.replace(/\|/g, '\\|');

function shownDefault(s: Setting): string {
  if (s.whenUnset !== undefined) return s.whenUnset;
  const d = s.defaultValue;
  if (d === undefined) return 'unset';
  // A computed default has no value to print; only its declaration can say what it is.
  if (typeof d === 'function') throw new Error(`${s.env}: a computed default needs whenUnset`);
  if (Array.isArray(d)) return d.length > 0 ? `\`${d.join(',')}\`` : 'empty';
  return `\`${String(d)}\``;
}

export function configMarkdown(): string {
  return [
    '| variable | default | meaning |',
    '|---|---|---|',
    ...ALL_SETTINGS.map((s) => `| \`${s.env}\` | ${cell(shownDefault(s))} | ${cell(s.doc)} |`),
  ].join('\n');
}

/** `readme` with the table between the markers written anew; the rest is kept as it is. */
export function withConfigTable(readme: string): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin || readme.indexOf(BEGIN, begin + 1) >= 0) {
    throw new Error(`README.md needs one ${BEGIN} … ${END} pair around the configuration table`);
  }
  // Blank lines around the table: a marker line right against it would not end it in every renderer.
  return `${readme.slice(0, begin + BEGIN.length)}\n\n${configMarkdown()}\n\n${readme.slice(end)}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const readme = readFileSync(README, 'utf8');
  const next = withConfigTable(readme);
  if (next === readme) console.log('README.md: configuration table up to date');
  else {
    writeFileSync(README, next);
    console.log(`README.md: configuration table rewritten (${ALL_SETTINGS.length} variables)`);
  }
}
