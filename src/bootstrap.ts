// SIGNET_BOOTSTRAP_*: a first tenant, client and user for containers, created only when missing
// so that every restart (and every replica) can run it.
import type { Config } from './config.js';
import type { Deps } from './domain/deps.js';
import * as admin from './domain/accounts/admin.js';
import { isSignetError } from './domain/errors.js';
import { normalizeUsername } from './domain/accounts/identity.js';

const ignoreExisting = (err: unknown) => {
  if (!(isSignetError(err) && err.reason === 'already_exists')) throw err;
};

export async function bootstrap(deps: Deps, b: Config['bootstrap']): Promise<void> {
  if (!b.tenant) return;
  if (!(await deps.storage.tenants.get(b.tenant))) {
    await admin.createTenant(deps, b.tenant, b.tenant, {}).catch(ignoreExisting);
    deps.log.info({ tenant: b.tenant }, 'bootstrap: tenant created');
  }
  if (b.clientId && !(await deps.storage.clients.get(b.clientId))) {
    await admin
      .createClient(deps, {
        id: b.clientId,
        tenantId: b.tenant,
        name: b.clientId,
        public: b.clientPublic,
        grantTypes: b.clientPublic ? ['password', 'refresh_token'] : ['password', 'refresh_token', 'client_credentials'],
        scopes: ['openid', 'user'],
        accessTokenTtl: 0,
        refreshTokenTtl: 0,
        maxSessions: 0,
        secret: b.clientPublic ? undefined : b.clientSecret,
      })
      .then(({ secret }) => {
        // A generated secret is printed once, like `signet clients create`; a configured one is not.
        if (secret && !b.clientSecret) process.stdout.write(`bootstrap client ${b.clientId} secret: ${secret}\n`);
        deps.log.info({ clientId: b.clientId }, 'bootstrap: client created');
      })
      .catch(ignoreExisting);
  }
  if (b.username && b.password) {
    const existing = await deps.storage.users.findByLogin(b.tenant, 'P', 'username', normalizeUsername(b.username));
    if (!existing) {
      await admin
        .createUser(deps, {
          tenantId: b.tenant,
          userType: 'P',
          username: b.username,
          email: '',
          phoneNumber: '',
          name: '',
          password: b.password,
          passwordHash: '',
          status: 'active',
          groups: [],
          expiresAt: null,
          emailVerified: false,
          phoneVerified: false,
        })
        .catch(ignoreExisting);
      deps.log.info({ username: b.username }, 'bootstrap: user created');
    }
  }
}
