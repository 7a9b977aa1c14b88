// What a handler knows of the call, whichever dialect carried it. Both transports build one;
// handlers never see gRPC or HTTP objects.
import type { Locale } from './messages.js';

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

interface MethodDefinition {
  name: string;
  requestType: { decode(input: Uint8Array): unknown };
  responseType: { decode(input: Uint8Array): unknown };
}

/**
 * The handlers of a generated service definition (ts-proto's generic definitions), keyed by RPC
 * name with the RPC's own request and response types: a missing, misspelled or mistyped handler
 * does not compile.
 */
export type HandlersOf<D extends { methods: Record<string, MethodDefinition> }> = {
  [K in keyof D['methods'] as D['methods'][K]['name']]: UnaryHandler<
    ReturnType<D['methods'][K]['requestType']['decode']>,
    ReturnType<D['methods'][K]['responseType']['decode']>
  >;
};

/** A caller's x-request-id is echoed and logged only when it is a plain token like this. */
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
