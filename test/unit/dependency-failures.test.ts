// A dependency that fails is `unavailable` (UNAVAILABLE / 503 with RetryInfo), told apart from a
// bug once at the storage boundary; and no security decision reads it as a pass.
import { beforeEach, describe, expect, it } from 'vitest';
import * as admin from '../../src/domain/accounts/admin.js';
import { Lockout } from '../../src/domain/defence/lockout.js';
import { RateLimiter } from '../../src/domain/defence/ratelimit.js';
import { SignetError } from '../../src/domain/errors.js';
import { currentUser } from '../../src/domain/sessions/bearer.js';
import { token } from '../../src/domain/tokens/token.js';
import { isDatabaseDown } from '../../src/storage/prisma/errors.js';
import { isRedisDown } from '../../src/storage/redis/index.js';
import { classifiedPort, type Dependency, dependencyFailure } from '../../src/storage/unavailable.js';
import { oauthFailure } from '../../src/transport/http/hzero/answers.js';
import { toStatus } from '../../src/transport/status.js';
import { FakeClock } from '../helpers/clock.js';
import { detailOf, tokenCmd, userInput } from '../helpers/commands.js';
import { type FakeDeps, fakeDeps } from '../helpers/fakes.js';

const named = (name: string, message: string, extra: object = {}) => Object.assign(new Error(message), { name }, extra);

describe('telling an outage from a bug', () => {
  it('reads the database drivers’ outages, not their refusals', () => {
    const down = [
      named('PrismaClientKnownRequestError', "Can't reach database server", { code: 'P1001' }),
      named('PrismaClientKnownRequestError', 'Timed out fetching a new connection from the connection pool', { code: 'P2024' }),
      named('PrismaClientKnownRequestError', 'x', { code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'ConnectionClosed' } } } }),
      named('PrismaClientInitializationError', 'cannot connect'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect', errno: -111 }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('timeout expired'),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' }),
      new Error('wrapped', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }),
    ];
    const bugs = [
      named('PrismaClientKnownRequestError', 'Unique constraint failed', { code: 'P2002' }),
      Object.assign(new Error('duplicate key value'), { code: '23505', severity: 'ERROR' }),
      Object.assign(new Error('syntax error'), { code: '42601', severity: 'ERROR' }),
      new TypeError("Cannot read properties of undefined (reading 'id')"),
    ];
    expect(down.map(isDatabaseDown)).toEqual(down.map(() => true));
    expect(bugs.map(isDatabaseDown)).toEqual(bugs.map(() => false));
  });

  it('reads ioredis’s outages, not a wrong command', () => {
    const down = [
      named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 1).'),
      new Error('Connection is closed.'),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      new Error('Command timed out'),
      named('ReplyError', 'LOADING Redis is loading the dataset in memory'),
      named('ReplyError', "READONLY You can't write against a read only replica."),
      named('ClusterAllFailedError', 'Failed to refresh slots cache.'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
    ];
    const bugs = [
      named('ReplyError', 'WRONGTYPE Operation against a key holding the wrong kind of value'),
      named('ReplyError', 'ERR Error running script: attempt to compare nil with number'),
      new TypeError('x is not a function'),
    ];
    expect(down.map(isRedisDown)).toEqual(down.map(() => true));
    expect(bugs.map(isRedisDown)).toEqual(bugs.map(() => false));
  });

  it('rethrows a port’s outage as unavailable with RetryInfo, its cause kept, and anything else as it was', async () => {
    const cut = new Error('Connection terminated unexpectedly');
    const bug = new TypeError('bug');
    const repo = classifiedPort(
      {
        base: 2,
        async lost() {
          throw cut;
        },
        async broken() {
          throw bug;
        },
        async doubled(n: number) {
          return n * this.base;
        },
      },
      'database',
      isDatabaseDown,
    );
    const lost = await repo.lost().catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(SignetError);
    expect(lost).toMatchObject({ reason: 'unavailable', detail: 'database_unavailable', details: { retryAfterSeconds: 1 }, cause: cut });
    await expect(repo.broken()).rejects.toBe(bug);
    expect(await repo.doubled(4)).toBe(8);
  });

  it('renders unavailable as UNAVAILABLE / 503 with RetryInfo, in the HZERO dialect too, without the cause', () => {
    const rs = toStatus(dependencyFailure('redis', new Error('connect ECONNREFUSED 10.0.0.7:6379')), 'en');
    expect(rs).toMatchObject({ code: 14, httpStatus: 503, reason: 'unavailable', retryInfo: { seconds: 1 } });
    expect(JSON.stringify(rs)).not.toContain('10.0.0.7');
    expect(oauthFailure(rs)).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable', success: false } });
  });
});

/** A port whose every method fails as the storage boundary says an outage fails. */
const down = <T extends object>(dependency: Dependency): T =>
  new Proxy({} as T, {
    get: () => async () => {
      throw dependencyFailure(dependency, new Error('Connection is closed.'));
    },
  });

describe('without its dependencies, no security decision passes', () => {
  let deps: FakeDeps;
  let clock: FakeClock;
  let secret: string;
  const signIn = () =>
    token(deps, tokenCmd({ grant_type: 'password', client_id: 'c1', client_secret: secret, username: 'u1', password: 'pw' }));

  beforeEach(async () => {
    clock = new FakeClock(Date.now());
    deps = await fakeDeps({}, clock);
    await admin.createTenant(deps, 't1', 'T1', {});
    ({ secret } = await admin.createClient(deps, {
      id: 'c1',
      tenantId: 't1',
      name: 'c1',
      public: false,
      grantTypes: ['password'],
      scopes: ['openid', 'user'],
      accessTokenTtl: 0,
      refreshTokenTtl: 0,
      maxSessions: 2,
    }));
    await admin.createUser(deps, userInput({ username: 'u1', password: 'pw', bypassPasswordPolicy: true }));
    expect(await detailOf(signIn())).toBe('ok');
  });

  it('refuses a sign-in when the rate limits cannot be counted', async () => {
    deps.limiter = new RateLimiter(down('redis'), { ...deps.settings.defence, ipPerMinute: 100 }, clock);
    expect(await detailOf(signIn())).toBe('unavailable:redis_unavailable');
  });

  it('refuses a sign-in when the lockout cannot take a place', async () => {
    deps.lockout = new Lockout(down('redis'), clock);
    expect(await detailOf(signIn())).toBe('unavailable:redis_unavailable');
  });

  it('answers unavailable, not unauthenticated, when the signing keys cannot be read', async () => {
    const { accessToken } = await signIn();
    deps.storage.signingKeys.listPublished = down<typeof deps.storage.signingKeys>('database').listPublished;
    clock.advance(60_000); // past the key ring's reload interval
    expect(await detailOf(currentUser(deps, accessToken))).toBe('unavailable:database_unavailable');
  });
});
