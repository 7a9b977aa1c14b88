// loadConfig: the declared defaults, the special parsing (lists, booleans, a default computed from
// another setting) and errors that name every bad variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, sharedIssuerWarning } from '../../src/config.js';

describe('loadConfig', () => {
  it("fills in the defaults, in Config's sections", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      dataDir: './data',
      host: '0.0.0.0',
      grpcPort: 50051,
      httpPort: 8080,
      issuer: 'http://localhost:8080',
      signingAlg: 'ES256',
      trustedProxies: [],
      corsOrigins: ['*'],
      logLevel: 'info',
      transportKeys: { bits: 2048, graceSeconds: 86400 },
      argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
      defence: {
        ipPerMinute: 600,
        clientPerMinute: 60000,
        ipFailuresCaptcha: 10,
        ipFailuresBlock: 100,
        ipFailureWindowSeconds: 900,
        captchaTtlSeconds: 300,
      },
      codes: { ttlSeconds: 300, resendSeconds: 60, dailyLimit: 10, maxAttempts: 5 },
      sender: { kind: 'log' },
      bootstrap: { clientPublic: false },
    });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.adminToken).toBeUndefined();
  });

  it('parses lists and booleans, takes empty as unset, and derives the issuer from the HTTP port', () => {
    const c = loadConfig({
      SIGNET_TRUSTED_PROXIES: '10.0.0.0/8, ,127.0.0.1',
      SIGNET_BOOTSTRAP_CLIENT_PUBLIC: 'yes',
      SIGNET_HTTP_PORT: '9000',
      SIGNET_HOST: '',
    });
    expect(c).toMatchObject({
      trustedProxies: ['10.0.0.0/8', '127.0.0.1'],
      bootstrap: { clientPublic: true },
      issuer: 'http://localhost:9000',
      host: '0.0.0.0',
    });
    expect(loadConfig({ SIGNET_HTTP_PORT: '9000', SIGNET_ISSUER: 'https://id.example' }).issuer).toBe('https://id.example');
  });

  it('names every bad variable', () => {
    const bad = () => loadConfig({ SIGNET_GRPC_PORT: 'abc', SIGNET_TRANSPORT_KEY_BITS: '2049', SIGNET_ADMIN_TOKEN: 'short' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(
      /^invalid configuration:\n {2}SIGNET_GRPC_PORT: .*\n {2}SIGNET_ADMIN_TOKEN: .*\n {2}SIGNET_TRANSPORT_KEY_BITS: must be a multiple of 8$/,
    );
  });

  it('refuses the webhook sender without its URL and secret', () => {
    expect(() => loadConfig({ SIGNET_CODE_SENDER: 'webhook', SIGNET_CODE_WEBHOOK_URL: 'https://hook.example' })).toThrow(
      'SIGNET_CODE_SENDER=webhook needs SIGNET_CODE_WEBHOOK_URL and SIGNET_CODE_WEBHOOK_SECRET',
    );
    const c = loadConfig({
      SIGNET_CODE_SENDER: 'webhook',
      SIGNET_CODE_WEBHOOK_URL: 'https://hook.example',
      SIGNET_CODE_WEBHOOK_SECRET: '0123456789abcdef',
    });
    expect(c.sender).toEqual({ kind: 'webhook', webhookUrl: 'https://hook.example', webhookSecret: '0123456789abcdef' });
  });
});

describe('the shared-issuer warning', () => {
  const redis = { REDIS_URL: 'redis://redis:6379' };

  it('warns when instances share Redis with the default issuer, naming what to set', () => {
    const warning = sharedIssuerWarning(loadConfig({ ...redis, SIGNET_HTTP_PORT: '9000' }));
    expect(warning).toContain('SIGNET_ISSUER is not set, so the issuer is http://localhost:9000');
    expect(warning).toContain('refused by the others');
  });

  it('is quiet with an issuer set, or without Redis (one instance)', () => {
    expect(sharedIssuerWarning(loadConfig({ ...redis, SIGNET_ISSUER: 'https://id.example.com' }))).toBeUndefined();
    expect(sharedIssuerWarning(loadConfig({}))).toBeUndefined();
  });
});
