// Child process for the bench's reference: node-oidc-provider 9, in memory, issuing ES256 JWT
// access tokens for client_credentials. Prints `BENCH_READY {"port":…,"pid":…}` on stdout.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const CLIENT_ID = process.env.BENCH_OIDC_CLIENT_ID ?? 'svc';
const CLIENT_SECRET = process.env.BENCH_OIDC_CLIENT_SECRET ?? 'bench-oidc-secret-0123456789abcdef';
const RESOURCE = 'urn:signet:bench:api';

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'bench-es256', alg: 'ES256', use: 'sig' };

const server = createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      scope: 'orders.read',
    },
  ],
  jwks: { keys: [jwk as any] },
  scopes: ['orders.read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'orders.read',
        audience: RESOURCE,
        accessTokenTTL: 7200,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
// Quiet: no per-request logging in a benchmark.
provider.on('server_error', (_ctx: unknown, err: Error) => process.stderr.write(`oidc server_error: ${err.message}\n`));
server.on('request', provider.callback());

process.stdout.write(`BENCH_READY ${JSON.stringify({ port, pid: process.pid })}\n`);

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
