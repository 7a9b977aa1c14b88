// Code generation run by `npm ci` (postinstall) and `npm run build`: ts-proto stubs from the proto
// via buf, and the Prisma client. Both outputs are build artefacts and are never edited by hand.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args, env = {}) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });

if (!existsSync(bin('buf'))) {
  // Installing without dev dependencies (the runtime image): the generated code was copied in.
  process.exit(0);
}
const rpc = 'node_modules/google-proto-files/google/rpc';
run(bin('buf'), ['generate', '--path', 'proto/signet', '--path', `${rpc}/status.proto`, '--path', `${rpc}/error_details.proto`]);
// ts-proto embeds descriptor.proto's own schema, which names an edition (2026) newer than the
// ts-proto-descriptors typings know; the values are right, only the typings lag behind.
const descriptorTs = path.join(root, 'src/gen/google/protobuf/descriptor.ts');
if (existsSync(descriptorTs)) {
  const text = readFileSync(descriptorTs, 'utf8');
  if (!text.startsWith('// @ts-nocheck')) writeFileSync(descriptorTs, `// @ts-nocheck\n${text}`);
}
// The Prisma CLI wants a native schema engine it cannot download here; generate never runs it,
// so any existing file satisfies the check.
run(bin('prisma'), ['generate'], {
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
});
