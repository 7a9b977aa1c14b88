// The token endpoint (POST /auth/v1/token, the Token RPC, HZERO's token routes), one grant
// module per grant type. Read `token` top to bottom: it is the whole request path.
import { SignetError, isSignetError } from '../errors.js';
import type { Deps } from '../deps.js';
import type { TokenCommand } from '../commands.js';
import type { IssuedTokens } from './mint.js';
import { authenticateClient, authorizeClient } from '../accounts/clients.js';
import { admitted, beginChecks, type Admission } from '../defence/request-checks.js';
import type { Grant } from './grants/grant.js';
import { passwordGrant } from './grants/password.js';
import { refreshTokenGrant } from './grants/refresh-token.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import { smsGrant } from './grants/sms.js';
import { authorizationCodeGrant } from './grants/authorization-code.js';
import { TOKEN_EXCHANGE, tokenExchangeGrant } from './grants/token-exchange.js';
import { deviceCodeGrant } from './grants/device-code.js';
import { DEVICE_CODE } from './device.js';

export type { Grant } from './grants/grant.js';

/** One module per grant type; adding a grant is adding an entry here. */
export const GRANTS: Readonly<Record<string, Grant>> = {
  password: passwordGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  sms: smsGrant,
  authorization_code: authorizationCodeGrant,
  [TOKEN_EXCHANGE]: tokenExchangeGrant,
  [DEVICE_CODE]: deviceCodeGrant,
};

const lookUp = (grantType: string): Grant | undefined => (Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined);

export function grantFor(grantType: string): Grant {
  const grant = lookUp(grantType);
  if (!grant) throw new SignetError('unsupported_grant_type', 'grant_unknown', { metadata: { grant_type: grantType } });
  return grant;
}

export function token(deps: Deps, cmd: TokenCommand): Promise<IssuedTokens> {
  const checks = beginChecks(deps, cmd.ip, cmd.client.clientId);
  return admitted(checks, async () => {
    const known = lookUp(cmd.grantType);
    // The password sign-in path counts the request with its lockout reservation, and audits.
    if (known?.passwordSignIn) return runGrant(deps, cmd, known, checks);
    await checks.limits();
    try {
      // An unknown grant type is refused here, so that its refusal is audited too.
      const tokens = await runGrant(deps, cmd, known ?? grantFor(cmd.grantType), checks);
      deps.audit.record({ ...auditOf(cmd), event: 'token', userId: tokens.sub, reason: known?.auditReason ?? cmd.grantType });
      return tokens;
    } catch (err) {
      if (isSignetError(err)) deps.audit.record({ ...auditOf(cmd), event: 'token_failed', reason: err.reason, detail: err.detail });
      throw err;
    }
  });
}

/** Authenticate the client, check what the grant requires of it, run the grant. */
async function runGrant(deps: Deps, cmd: TokenCommand, grant: Grant, checks: Admission): Promise<IssuedTokens> {
  const cc = await authenticateClient(deps.directory, cmd.client, true, grant.passwordSignIn ? checks : undefined);
  authorizeClient(cc, grant);
  return grant.run(deps, cc, cmd, checks);
}

const auditOf = (cmd: TokenCommand) => ({ clientId: cmd.client.clientId, deviceId: cmd.deviceId, ip: cmd.ip });
