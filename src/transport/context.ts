// What a handler knows of the call, whichever dialect carried it. Both transports build one;
// handlers never see gRPC or HTTP objects.
import type { Locale } from '../domain/messages.js';

export type { Locale };

export interface CallContext {
  /** Lower-case metadata / header names: authorization, x-device-id, x-request-id, … */
  metadata: Record<string, string>;
  /** The client's IP: the peer address, or x-forwarded-for when the peer is a trusted proxy. */
  clientIp: string;
  locale: Locale;
  requestId: string;
}

export type UnaryHandler<Req = any, Res = any> = (req: Req, ctx: CallContext) => Promise<Res>;

/** Handlers of one service keyed by RPC name as in the proto ("SignIn", "GetJwks", …). */
export type ServiceHandlers = Record<string, UnaryHandler>;

/** A caller's x-request-id is echoed and logged only when it is a plain token like this. */
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
