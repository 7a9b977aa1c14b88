// Custom sign-in tickets: AuthService.SignInWithCustomTicket, and AdminService's ticket keys.
// Convert, call the domain (domain/signin/ticket.ts, domain/keys/ticket-keys.ts), convert back.
import type { Deps } from '../domain/deps.js';
import type { TicketKey } from '../domain/model.js';
import type { HandlersOf } from './context.js';
import type { AuthServiceDefinition } from '../gen/signet/auth/v1/auth_service.js';
import type { AdminServiceDefinition } from '../gen/signet/auth/v1/admin_service.js';
import type { TicketKey as TicketKeyPb } from '../gen/signet/auth/v1/ticket.js';
import { signInWithTicket, type TicketSignInCommand } from '../domain/signin/ticket.js';
import { addTicketKey, listTicketKeys, removeTicketKey } from '../domain/keys/ticket-keys.js';
import { countRefused } from '../domain/defence/request-checks.js';
import { deviceOf, tokenBody } from './auth-in.js';
import { readClientCredentials } from './credentials.js';
import { isPlain } from './line.js';

export function ticketSignInHandlers(deps: Deps): Pick<HandlersOf<typeof AuthServiceDefinition>, 'SignInWithCustomTicket'> {
  return {
    async SignInWithCustomTicket(req, ctx) {
      let cmd: TicketSignInCommand;
      try {
        cmd = {
          client: readClientCredentials(req, ctx.metadata.authorization),
          ip: ctx.clientIp,
          deviceId: deviceOf(req.device_id, ctx),
          providerId: req.provider_id,
          ticket: req.ticket,
        };
      } catch (err) {
        // A request refused while it is read counts against the rate limits all the same.
        return countRefused(deps, ctx.clientIp, isPlain(req.client_id) ? req.client_id : '', err);
      }
      return tokenBody(await signInWithTicket(deps, cmd));
    },
  };
}

const ticketKeyOut = (k: TicketKey): TicketKeyPb => ({
  client_id: k.clientId,
  kid: k.kid,
  alg: k.alg,
  public_jwk: JSON.stringify(k.publicJwk),
  created_at: k.createdAt,
});

export function adminTicketHandlers(
  deps: Deps,
): Pick<HandlersOf<typeof AdminServiceDefinition>, 'AddTicketKey' | 'ListTicketKeys' | 'RemoveTicketKey'> {
  return {
    AddTicketKey: async (r) =>
      ticketKeyOut(await addTicketKey(deps, { clientId: r.client_id, kid: r.kid, publicKey: r.public_key, alg: r.alg })),
    ListTicketKeys: async (r) => ({ keys: (await listTicketKeys(deps, r.client_id)).map(ticketKeyOut) }),
    RemoveTicketKey: async (r) => {
      await removeTicketKey(deps, r.client_id, r.kid);
      return {};
    },
  };
}
