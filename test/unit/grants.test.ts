// The sign-in and grant rules on in-memory fakes: order of checks, rotation, replay, grace.
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeDeps } from '../helpers/fakes.js';
import { FakeClock } from '../helpers/clock.js';
import * as admin from '../../src/domain/accounts/admin.js';
import { grantFor, token } from '../../src/domain/tokens/token.js';
import { detailOf, tokenCmd, userInput } from '../helpers/commands.js';
import { SignetError } from '../../src/domain/errors.js';
import type { Deps } from '../../src/domain/deps.js';
import { sha256Hex } from '../../src/domain/crypto/secrets.js';

type D = Awaited<ReturnType<typeof fakeDeps>>;
const reasonOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (e instanceof SignetError) return e.reason;
    throw e;
  }
  return 'ok';
};

async function setup(deps: Deps) {
  await admin.createTenant(deps, 't1', 'T1', {});
  const { secret } = await admin.createClient(deps, {
    id: 'c1',
    tenantId: 't1',
    name: 'c1',
    public: false,
    grantTypes: ['password', 'refresh_token', 'client_credentials'],
    scopes: ['openid', 'user'],
    accessTokenTtl: 0,
    refreshTokenTtl: 0,
    maxSessions: 2,
  });
  const user = await admin.createUser(
    deps,
    // Short on purpose (the grants are under test, not the password policy).
    userInput({ username: 'u1', password: 'pw', bypassPasswordPolicy: true, groups: ['g'] }),
  );
  return { secret, user };
}

describe('grants', () => {
  let deps: D;
  let clock: FakeClock;
  let secret: string;
  const password = (username: string, pw: string, deviceId = '') =>
    token(deps, tokenCmd({ grant_type: 'password', client_id: 'c1', client_secret: secret, username, password: pw, device_id: deviceId }));
  const refresh = (rt: string) =>
    token(deps, tokenCmd({ grant_type: 'refresh_token', client_id: 'c1', client_secret: secret, refresh_token: rt }));
  /** The session a refresh token was issued with, read through the storage port. */
  const sessionOf = async (rt: string) => (await deps.storage.sessions.findRefreshToken(sha256Hex(rt)))!.session;

  beforeEach(async () => {
    clock = new FakeClock(Date.now());
    deps = await fakeDeps({}, clock);
    ({ secret } = await setup(deps));
  });

  it('rejects an unknown grant type', () => {
    expect(() => grantFor('urn:ietf:params:oauth:grant-type:jwt-bearer')).toThrow(/unsupported_grant_type/);
    expect(() => grantFor('__proto__')).toThrow(/unsupported_grant_type/);
  });

  it('tells account state only to whoever knows the password', async () => {
    const u = (await deps.storage.users.findByLogin('t1', 'P', 'username', 'u1'))!;
    await deps.storage.users.update(u.id, { status: 'blocked' });
    expect(await reasonOf(password('u1', 'wrong'))).toBe('invalid_password');
    expect(await reasonOf(password('u1', 'pw'))).toBe('user_blocked');
  });

  it('a password change landing between the proof and the session start leaves no session behind', async () => {
    const u = (await deps.storage.users.findByLogin('t1', 'P', 'username', 'u1'))!;
    const start = deps.storage.sessions.start.bind(deps.storage.sessions);
    let changed = false;
    // The owner resets the password after this sign-in proved the old one, and its revocation
    // runs before the sign-in's session is stored (the window a session could slip through).
    deps.storage.sessions.start = async (...args) => {
      if (!changed) {
        changed = true;
        await admin.updateUser(deps, u.id, { password: 'the owner changed it', bypassPasswordPolicy: true });
      }
      return start(...args);
    };
    expect(await detailOf(password('u1', 'pw'))).toBe('invalid_password:password_changed_meanwhile');
    expect(await deps.storage.sessions.listLive(u.id, new Date(clock.now()))).toEqual([]);
    // Without a change in between, the same sign-in succeeds.
    expect(await reasonOf(password('u1', 'the owner changed it'))).toBe('ok');
  });

  it('stores only the hash of refresh tokens', async () => {
    const t = await password('u1', 'pw');
    expect(await deps.storage.sessions.findRefreshToken(t.refreshToken)).toBeNull();
    expect(await deps.storage.sessions.findRefreshToken(sha256Hex(t.refreshToken))).not.toBeNull();
  });

  it('rotates, answers a retry within the window with the same pair, and revokes on a late replay', async () => {
    const t0 = await password('u1', 'pw');
    const t1 = await refresh(t0.refreshToken);
    const again = await refresh(t0.refreshToken);
    expect(again).toEqual(t1);
    deps.settings.refreshGraceSeconds = 0;
    clock.advance(5);
    expect(await reasonOf(refresh(t0.refreshToken))).toBe('invalid_grant');
    expect(await reasonOf(refresh(t1.refreshToken))).toBe('invalid_grant');
    expect((await sessionOf(t0.refreshToken)).revokeReason).toBe('refresh_token_replay');
  });

  it("shares the pair only with the live token's immediate predecessor: two generations back is a replay", async () => {
    const t0 = await password('u1', 'pw');
    const t1 = await refresh(t0.refreshToken);
    const t2 = await refresh(t1.refreshToken);
    // t1 is t2's predecessor: a concurrent retry of it gets t2 again.
    expect(await refresh(t1.refreshToken)).toEqual(t2);
    // t0's successor t1 was itself rotated: inside the window or not, t0 is a replay.
    expect(await detailOf(refresh(t0.refreshToken))).toBe('invalid_grant:replay_superseded');
    expect((await sessionOf(t0.refreshToken)).revokeReason).toBe('refresh_token_replay');
    expect(await detailOf(refresh(t2.refreshToken))).toBe('invalid_grant:session_revoked');
  });

  it('tells the operator which of the causes of invalid_grant it was', async () => {
    expect(await detailOf(refresh('never-issued'))).toBe('invalid_grant:refresh_token_unknown');
    const t0 = await password('u1', 'pw');
    const t1 = await refresh(t0.refreshToken);
    deps.settings.refreshGraceSeconds = -1;
    expect(await detailOf(refresh(t0.refreshToken))).toBe('invalid_grant:replay');
    expect(await detailOf(refresh(t1.refreshToken))).toBe('invalid_grant:session_revoked');
  });

  it('does not hand out the grace-window pair once the user is blocked', async () => {
    const t0 = await password('u1', 'pw');
    await refresh(t0.refreshToken);
    const u = (await deps.storage.users.findByLogin('t1', 'P', 'username', 'u1'))!;
    await deps.storage.users.update(u.id, { status: 'blocked' });
    expect(await reasonOf(refresh(t0.refreshToken))).toBe('user_blocked');
  });

  it('refuses a refresh token of another client', async () => {
    const t0 = await password('u1', 'pw');
    const { secret: s2 } = await admin.createClient(deps, {
      id: 'c2',
      tenantId: 't1',
      name: 'c2',
      public: false,
      grantTypes: ['refresh_token'],
      scopes: ['user'],
      accessTokenTtl: 0,
      refreshTokenTtl: 0,
      maxSessions: 0,
    });
    const other = token(
      deps,
      tokenCmd({ grant_type: 'refresh_token', client_id: 'c2', client_secret: s2, refresh_token: t0.refreshToken }),
    );
    expect(await reasonOf(other)).toBe('invalid_grant');
  });

  it('stops refreshing once the user is blocked', async () => {
    const t0 = await password('u1', 'pw');
    const u = (await deps.storage.users.findByLogin('t1', 'P', 'username', 'u1'))!;
    await deps.storage.users.update(u.id, { status: 'blocked' });
    expect(await reasonOf(refresh(t0.refreshToken))).toBe('user_blocked');
  });

  it('keeps at most max_sessions and replaces the same device', async () => {
    // Every session the user has, in the order started, through the refresh token each came with.
    const issued: string[] = [];
    const live = async () => (await Promise.all(issued.map(sessionOf))).filter((s) => !s.revokedAt);
    issued.push((await password('u1', 'pw', 'd1')).refreshToken);
    issued.push((await password('u1', 'pw', 'd1')).refreshToken);
    expect(await live()).toHaveLength(1);
    issued.push((await password('u1', 'pw', 'd2')).refreshToken);
    issued.push((await password('u1', 'pw', 'd3')).refreshToken);
    expect((await live()).map((s) => s.deviceId)).toEqual(['d2', 'd3']);
  });

  it('issues client_credentials only to the confidential client with its secret', async () => {
    const cc = (clientSecret: string) =>
      token(deps, tokenCmd({ grant_type: 'client_credentials', client_id: 'c1', client_secret: clientSecret }));
    expect((await cc(secret)).refreshToken).toBe('');
    expect(await reasonOf(cc('wrong'))).toBe('unauthorized_client');
    expect(await reasonOf(cc(''))).toBe('unauthorized_client');
  });
});
