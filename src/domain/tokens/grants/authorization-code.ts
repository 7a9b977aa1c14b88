// The authorization code grant (RFC 6749 4.1.3, PKCE RFC 7636 4.6). The code is taken before
// anything is checked, so any refusal (another client, another redirect URI, a wrong or missing
// verifier) spends it. The session started gets the id the code's spent marker names: presented
// again, the code revokes it (authorization-codes.ts).
import type { Grant } from './grant.js';
import { SignetError, invalidArgument } from '../../errors.js';
import { AUTHORIZATION_CODE, redeemCode, verifyCodeVerifier } from '../authorization-codes.js';
import { checkUsable, readChannel } from '../../signin/rules.js';
import { startSession } from '../../sessions/start.js';
import { isRevoked, revokeSession } from '../../sessions/revocation.js';

import { consentNeeded } from '../../accounts/consents.js';

export const authorizationCodeGrant: Grant = {
  clientGrant: AUTHORIZATION_CODE,
  signsInUsers: true,
  confidentialOnly: false,
  passwordSignIn: false,
  async run(deps, cc, cmd) {
    if (!cmd.authorizationCode) throw invalidArgument('code', 'code is required');
    const channel = readChannel(cmd.sourceType, cmd.deviceId);
    const { code, sessionId } = await redeemCode(deps, cmd.authorizationCode);
    if (code.clientId !== cc.client.id || code.tenantId !== cc.tenant.id) throw new SignetError('invalid_grant', 'client_mismatch');
    // RFC 6749 4.1.3: the redirect URI of the authorization request, identical.
    if (cmd.redirectUri !== code.redirectUri) throw new SignetError('invalid_grant', 'redirect_uri_mismatch');
    // A public client can only have got a code with a challenge; checked again all the same.
    if (cc.client.type === 'public' && !code.codeChallenge) throw new SignetError('invalid_grant', 'code_challenge_missing');
    verifyCodeVerifier(code.codeChallenge, cmd.codeVerifier ?? '');
    // The user ended the session they authorized from: what it authorized ends with it.
    if (code.sessionId && (await isRevoked(deps, code.sessionId))) throw new SignetError('invalid_grant', 'authorizing_session_revoked');
    const user = await deps.storage.users.get(code.userId);
    if (!user || user.tenantId !== cc.tenant.id) throw new SignetError('invalid_grant', 'user_unknown');
    checkUsable(user, deps.now());
    // Consent withdrawn since the code was issued: what the user took back is not granted now.
    if (await consentNeeded(deps, { client: cc.client, userId: user.id, scope: code.scope, force: false })) {
      throw new SignetError('invalid_grant', 'consent_withdrawn');
    }
    const tokens = await startSession(deps, {
      tenant: cc.tenant,
      client: cc.client,
      user,
      scope: code.scope,
      deviceId: cmd.deviceId,
      channel,
      sessionId,
      authTime: new Date(code.authTime),
      amr: code.amr ?? [],
      nonce: code.nonce || undefined,
    });
    // A replay that raced this redemption revoked the session id before the session existed.
    if (await isRevoked(deps, sessionId)) {
      await revokeSession(deps, sessionId, 'authorization_code_replay');
      throw new SignetError('invalid_grant', 'code_replayed');
    }
    return tokens;
  },
};
