#!/usr/bin/env node
// The `signet` executable. Everything happens in run.ts; this file only wires the process in.
import { runCli } from './run.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

let serving = false;
const exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readStdin,
  env: process.env,
  onServing: () => {
    serving = true;
  },
});
process.exitCode = exitCode;
if (!serving) {
  // One-shot commands end here even if a library left a handle open; stdout is flushed by then.
  setTimeout(() => process.exit(exitCode), 1000).unref();
}
