// `npm run docs:openapi [-- --admin]`: the OpenAPI document a listener serves at /openapi.json,
// on stdout, for tools that want it without a running Signet (client generators, linters).
import { apiDocument } from '../src/transport/http/openapi/index.js';

const audience = process.argv.includes('--admin') ? 'admin' : 'public';
process.stdout.write(`${JSON.stringify(apiDocument(audience), null, 2)}\n`);
