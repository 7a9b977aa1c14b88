// Prints the message catalogue (src/domain/messages.ts) as the README's markdown tables:
//   npx tsx scripts/catalogue.ts
// test/unit/catalogue.test.ts checks that README.md holds exactly this output, so the table is
// never edited by hand.
import { pathToFileURL } from 'node:url';
import { Code, REASONS } from '../src/domain/errors.js';
import { httpStatusFor } from '../src/transport/status.js';
import { HZERO_UNANSWERED, MESSAGES, type CatalogueEntry } from '../src/transport/messages.js';

const CODE_NAMES = new Map<number, string>(Object.entries(Code).map(([name, n]) => [n, name]));

/** Statuses the code alone does not tell (see ErrorDetails.httpStatus). */
const HTTP_NOTES: Record<string, string> = {
  resource_exhausted: '429 (413: body too large)',
  method_not_allowed: '405 / 501',
};

const cell = (s: string) => s.replace(/\|/g, '\\|');

function row(id: string, e: CatalogueEntry): string {
  const code = e.reason === 'ok' ? 0 : REASONS[e.reason];
  const http = e.reason === 'ok' ? '200' : (HTTP_NOTES[id] ?? String(httpStatusFor(code)));
  const key = e.hzeroKey ? `\`${e.hzeroKey}\`` : '';
  return `| \`${id}\` | ${code} ${CODE_NAMES.get(code)} | ${http} | ${key} | ${cell(e.zh)} | ${cell(e.en)} |`;
}

export function catalogueMarkdown(): string {
  const lines = [
    '| reason | gRPC code | HTTP | HZERO key | zh-CN | en |',
    '|---|---|---|---|---|---|',
    ...Object.entries(MESSAGES).map(([id, e]) => row(id, e)),
    '',
    'HZERO keys Signet never answers with (its front ends may still know them):',
    '',
    '| HZERO key | zh-CN | en | why not |',
    '|---|---|---|---|',
    ...HZERO_UNANSWERED.map((u) => `| \`${u.hzeroKey}\` | ${cell(u.zh)} | ${cell(u.en)} | ${cell(u.why)} |`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(catalogueMarkdown());
