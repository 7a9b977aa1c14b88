// The hosted /device page's decision (RFC 8628 3.3): the browser's signed-in user approves or
// denies the device showing the user code, as the API's AuthorizeDevice does for a token.
import type { Deps } from '../deps.js';
import { decideDevice, findUserCode, type DeviceDecided } from '../tokens/device.js';
import type { ClientContext } from '../accounts/clients.js';
import { SignetError } from '../errors.js';
import type { BrowserSession } from './sso.js';

export async function decideDeviceAtPage(
  deps: Deps,
  session: BrowserSession,
  cmd: { ip: string; userCode: string; approve: boolean },
): Promise<DeviceDecided & { clientName: string }> {
  await deps.limiter.checkRequest(cmd.ip, '');
  const decided = await decideDevice(
    deps,
    { user: session.user, sessionId: session.sessionId, authTime: session.authTime, amr: session.amr },
    { ip: cmd.ip, userCode: cmd.userCode, action: cmd.approve ? 'approve' : 'deny' },
  );
  const client = await deps.directory.client(decided.clientId);
  return { ...decided, clientName: client?.name ?? decided.clientId };
}

/**
 * The client and tenant a user code belongs to, before anyone signed in (the page signs the user
 * in to that tenant). Wrong codes count against the IP as at the decision.
 */
export async function deviceClientAtPage(deps: Deps, cmd: { ip: string; userCode: string }): Promise<ClientContext> {
  await deps.limiter.checkRequest(cmd.ip, '');
  const { request } = await findUserCode(deps, cmd.userCode, cmd.ip, null);
  const client = await deps.directory.client(request.clientId);
  const tenant = client && (await deps.directory.tenant(client.tenantId));
  if (!client || !tenant || client.status !== 'enabled' || tenant.status !== 'enabled')
    throw new SignetError('invalid_client', 'client_disabled');
  return { client, tenant };
}
