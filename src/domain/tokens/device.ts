// The device authorization grant (RFC 8628) without a hosted page: a device asks for a device
// code and a user code (deviceAuthorization); the user, signed in elsewhere, enters the user code
// through CloudBase's /auth/v1/user/device/authorize (authorizeDevice), approving or denying; the
// device polls the token endpoint (grants/device-code.ts). Both codes are kept only by digest:
// the device code by its SHA-256 (32 random bytes), the user code by an HMAC (it is short).
import { createHmac, randomInt } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { AuthorizeDeviceCommand, DeviceAuthorizationCommand } from '../commands.js';
import { SignetError, invalidArgument } from '../errors.js';
import { authenticateClient, grantScope, requireGrant, requireUserScope } from '../accounts/clients.js';
import { randomToken, sha256Hex } from '../crypto/secrets.js';
import { signedInSession } from '../sessions/bearer.js';
import type { User } from '../model.js';

export const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 8628 6.1: consonants only (no vowels to spell words with, nothing that reads as another). */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
/** slow_down: the interval grows by this much each time (RFC 8628 3.5). */
export const SLOW_DOWN_STEP_SECONDS = 5;
/** User codes tried before refusal, per user and per IP, in one window. */
export const USER_CODE_FAILURES = { perUser: 5, perIp: 30, windowSeconds: 900 } as const;

/** What a device code stands for, kept under its digest. */
export interface DeviceRequest {
  tenantId: string;
  clientId: string;
  scope: string[];
  /** Epoch ms on the domain's clock (the store's TTL is the backstop). */
  expiresAt: number;
}

/** The user's decision. */
export type DeviceDecision =
  | { status: 'denied'; userId: string }
  /** amr: the approving session's; absent from a decision stored by a release before amr. */
  | { status: 'approved'; userId: string; sessionId: string; authTime: number; amr: string[] };

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
  interval: number;
}

/** The device code is known by this digest. */
export const deviceDigest = (deviceCode: string): string => sha256Hex(`device-code\n${deviceCode}`);

const userCodeDigest = (deps: Deps, normalized: string): string =>
  createHmac('sha256', deps.hmacKey).update(`device-user-code\n${normalized}`).digest('hex');

/** A user code as typed: case, hyphens and spaces do not matter. '' when it cannot be one. */
export function normalizeUserCode(typed: string): string {
  const s = typed.replace(/[\s-]/g, '').toUpperCase();
  if (s.length !== USER_CODE_LENGTH) return '';
  for (const ch of s) if (!USER_CODE_ALPHABET.includes(ch)) return '';
  return s;
}

function newUserCode(): string {
  let s = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) s += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return s;
}

/** The stored store's TTL: past the expiry, so a late poll still hears expired_token. */
const storeTtl = (deps: Deps) => deps.settings.deviceCodeTtlSeconds * 2;

/** RFC 8628 3.1–3.2: the device's request, from a client allowed the device grant. */
export async function deviceAuthorization(deps: Deps, cmd: DeviceAuthorizationCommand): Promise<DeviceAuthorization> {
  await deps.limiter.checkRequest(cmd.ip, cmd.client.clientId);
  const cc = await authenticateClient(deps.directory, cmd.client, true);
  requireGrant(cc.client, DEVICE_CODE);
  requireUserScope(cc);
  const scope = grantScope(cc.client, cmd.scope);
  const ttl = deps.settings.deviceCodeTtlSeconds;
  const deviceCode = randomToken(32);
  const userCode = newUserCode();
  const request: DeviceRequest = { tenantId: cc.tenant.id, clientId: cc.client.id, scope, expiresAt: deps.clock.now() + ttl * 1000 };
  await deps.stores.devices.create(deviceDigest(deviceCode), userCodeDigest(deps, userCode), JSON.stringify(request), storeTtl(deps));
  const shown = `${userCode.slice(0, 4)}-${userCode.slice(4)}`;
  // The hosted page the user enters the code on (transport/http/pages); the API does it too.
  const verificationUri = `${deps.settings.issuer}/device`;
  deps.audit.record({ event: 'device_authorization', tenantId: cc.tenant.id, clientId: cc.client.id, ip: cmd.ip });
  return {
    deviceCode,
    userCode: shown,
    verificationUri,
    verificationUriComplete: `${verificationUri}?user_code=${shown}`,
    expiresIn: ttl,
    interval: deps.settings.deviceCodeIntervalSeconds,
  };
}

/**
 * The live device request a user code names. Wrong codes are counted per IP (and per user, once
 * signed in) and refused once over the limit, before the code is looked up: a user code is short
 * enough to guess. A device of another tenant than the user's is as unknown as none.
 */
export async function findUserCode(
  deps: Deps,
  userCode: string,
  ip: string,
  user: User | null,
): Promise<{ digest: string; userDigest: string; request: DeviceRequest }> {
  if (!userCode) throw invalidArgument('user_code', 'user_code is required');
  const window = Math.floor(deps.clock.now() / (USER_CODE_FAILURES.windowSeconds * 1000));
  const counted: Array<[string, number]> = [];
  if (user) counted.push([`user:${user.id}`, USER_CODE_FAILURES.perUser]);
  if (ip) counted.push([`ip:${ip}`, USER_CODE_FAILURES.perIp]);
  // Counted before it is looked up, in one atomic step per counter: parallel guesses cannot all
  // read a count under the limit. A right code counts too (a user enters it once or twice).
  const counts = await Promise.all(
    counted.map(([id]) => deps.stores.counters.hit('device-user-code', id, window, USER_CODE_FAILURES.windowSeconds)),
  );
  if (counts.some((n, i) => n > counted[i][1])) {
    throw new SignetError('resource_exhausted', 'user_code_attempts', { retryAfterSeconds: USER_CODE_FAILURES.windowSeconds });
  }
  const wrong = async (): Promise<never> => {
    deps.audit.record({
      event: 'device_authorization_failed',
      tenantId: user?.tenantId,
      userId: user?.id,
      ip,
      reason: 'user_code_unknown',
    });
    throw new SignetError('invalid_grant', 'user_code_unknown');
  };
  const normalized = normalizeUserCode(userCode);
  if (!normalized) return wrong();
  const userDigest = userCodeDigest(deps, normalized);
  const digest = await deps.stores.devices.deviceOf(userDigest);
  const request = digest === null ? null : readDeviceRequest(await deps.stores.devices.request(digest));
  if (!digest || !request || (user && request.tenantId !== user.tenantId)) return wrong();
  if (request.expiresAt <= deps.clock.now()) throw new SignetError('expired_token', 'device_code_expired');
  return { digest, userDigest, request };
}

export function readDeviceRequest(raw: string | null): DeviceRequest | null {
  return raw === null ? null : (JSON.parse(raw) as DeviceRequest);
}

/**
 * The signed-in user approves (or denies) the device showing the user code: a device of a client
 * of the user's tenant. Wrong codes are counted per user and per IP (a user code is short enough
 * to guess) and refused once over the limit, before the code is looked up.
 */
export async function authorizeDevice(deps: Deps, cmd: AuthorizeDeviceCommand): Promise<DeviceDecided> {
  const { user, claims } = await signedInSession(deps, cmd.accessToken, cmd.ip);
  // The user authenticated as and when the session they approve from says (auth_time and amr).
  const session = await deps.storage.sessions.get(claims.sid);
  if (!session || session.revokedAt) throw new SignetError('unauthenticated', 'session_revoked');
  return decideDevice(deps, { user, sessionId: claims.sid, authTime: session.authTime.getTime(), amr: session.amr }, cmd);
}

export interface DeviceDecided {
  status: 'approved' | 'denied';
  clientId: string;
}

/** Who approves: a signed-in user (by token, or on the hosted /device page), from which session. */
export interface DeviceApprover {
  user: User;
  sessionId: string;
  authTime: number;
  amr: string[];
}

export async function decideDevice(
  deps: Deps,
  approver: DeviceApprover,
  cmd: Pick<AuthorizeDeviceCommand, 'ip' | 'userCode' | 'action'>,
): Promise<DeviceDecided> {
  const { user } = approver;
  if (cmd.action !== '' && cmd.action !== 'approve' && cmd.action !== 'deny') {
    throw invalidArgument('action', 'action is "approve" (the default) or "deny"');
  }
  const { digest, userDigest, request } = await findUserCode(deps, cmd.userCode, cmd.ip, user);
  const decision: DeviceDecision =
    cmd.action === 'deny'
      ? { status: 'denied', userId: user.id }
      : { status: 'approved', userId: user.id, sessionId: approver.sessionId, authTime: approver.authTime, amr: approver.amr };
  const won = await deps.stores.devices.decide(digest, userDigest, JSON.stringify(decision), storeTtl(deps));
  if (!won) throw new SignetError('invalid_grant', 'device_already_decided');
  deps.audit.record({
    event: decision.status === 'approved' ? 'device_approved' : 'device_denied',
    tenantId: user.tenantId,
    userId: user.id,
    clientId: request.clientId,
    ip: cmd.ip,
  });
  return { status: decision.status, clientId: request.clientId };
}
