// Domain commands built the way the transport builds them, from proto-shaped fields.
import { TokenRequest } from '../../src/gen/signet/auth/v1/token.js';
import { tokenCommand } from '../../src/transport/auth-in.js';
import type { CallContext } from '../../src/transport/context.js';
import type { TokenCommand } from '../../src/domain/commands.js';
import type { UserInput } from '../../src/domain/accounts/admin.js';
import { SignetError } from '../../src/domain/errors.js';

export const callContext = (ip = '127.0.0.1', metadata: Record<string, string> = {}): CallContext => ({
  metadata,
  clientIp: ip,
  locale: 'en',
  requestId: 'test',
});

/** A token command from TokenRequest fields (snake_case, as on the wire). */
export const tokenCmd = (fields: Partial<TokenRequest>, ip = '127.0.0.1'): TokenCommand =>
  tokenCommand(TokenRequest.fromPartial(fields), callContext(ip));

/** An admin CreateUser input: an active P user of tenant t1 with nothing set but what `over` says. */
export const userInput = (over: Partial<UserInput>): UserInput => ({
  tenantId: 't1',
  userType: 'P',
  username: '',
  email: '',
  phoneNumber: '',
  name: '',
  password: '',
  passwordHash: '',
  status: 'active',
  groups: [],
  expiresAt: null,
  emailVerified: false,
  phoneVerified: false,
  ...over,
});

/** "reason:detail" of a SignetError a command fails with, or "ok"; anything else is rethrown. */
export async function detailOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SignetError) return `${e.reason}:${e.detail}`;
    throw e;
  }
  return 'ok';
}
