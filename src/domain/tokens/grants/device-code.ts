// The device authorization grant's token request (RFC 8628 3.4–3.5): the device polls with its
// device code. Pending: authorization_pending; sooner than the interval: slow_down (the interval
// grows by 5 s); past its life: expired_token; denied: access_denied. Approved: the decision is
// taken (GETDEL), so exactly one poll starts the approving user's session and gets its tokens.
import type { Grant } from './grant.js';
import { SignetError, invalidArgument } from '../../errors.js';
import { checkUsable, readChannel } from '../../signin/rules.js';
import { startSession } from '../../sessions/start.js';
import { isRevoked } from '../../sessions/revocation.js';
import { DEVICE_CODE, SLOW_DOWN_STEP_SECONDS, deviceDigest, readDeviceRequest, type DeviceDecision } from '../device.js';

export const deviceCodeGrant: Grant = {
  clientGrant: DEVICE_CODE,
  signsInUsers: true,
  confidentialOnly: false,
  passwordSignIn: false,
  auditReason: 'device_code',
  async run(deps, cc, cmd) {
    if (!cmd.deviceCode) throw invalidArgument('device_code', 'device_code is required');
    const channel = readChannel(cmd.sourceType, cmd.deviceId);
    const digest = deviceDigest(cmd.deviceCode);
    const store = deps.stores.devices;
    const request = readDeviceRequest(await store.request(digest));
    if (!request) throw new SignetError('invalid_grant', 'device_code_unknown');
    if (request.clientId !== cc.client.id || request.tenantId !== cc.tenant.id) throw new SignetError('invalid_grant', 'client_mismatch');
    const now = deps.clock.now();
    if (request.expiresAt <= now) throw new SignetError('expired_token', 'device_code_expired');
    const ttl = Math.max(1, Math.ceil((request.expiresAt - now) / 1000));
    const pace = await store.poll(digest, now, deps.settings.deviceCodeIntervalSeconds, SLOW_DOWN_STEP_SECONDS, ttl);
    if (pace.slowDown) {
      throw new SignetError('slow_down', 'polled_too_soon', {
        retryAfterSeconds: pace.interval,
        metadata: { interval: String(pace.interval) },
      });
    }
    const raw = await store.decision(digest);
    if (raw === null) throw new SignetError('authorization_pending', 'pending', { retryAfterSeconds: pace.interval });
    const seen = JSON.parse(raw) as DeviceDecision;
    if (seen.status === 'denied') throw new SignetError('access_denied', 'device_denied');
    const taken = await store.redeem(digest);
    // Another poll redeemed it between the two reads.
    if (taken === null) throw new SignetError('invalid_grant', 'device_code_used');
    const decision = JSON.parse(taken) as DeviceDecision;
    if (decision.status !== 'approved') throw new SignetError('access_denied', 'device_denied');
    // The user ended the session they approved from: what it approved ends with it.
    if (await isRevoked(deps, decision.sessionId)) throw new SignetError('invalid_grant', 'authorizing_session_revoked');
    const user = await deps.storage.users.get(decision.userId);
    if (!user || user.tenantId !== cc.tenant.id) throw new SignetError('invalid_grant', 'user_unknown');
    checkUsable(user, deps.now());
    return startSession(deps, {
      tenant: cc.tenant,
      client: cc.client,
      user,
      scope: request.scope,
      deviceId: cmd.deviceId,
      channel,
      authTime: new Date(decision.authTime),
      amr: decision.amr ?? [],
    });
  },
};
