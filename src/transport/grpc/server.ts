// One generic adapter from grpc-js to the transport-neutral handlers: every RPC of a service is
// served the same way, and errors are rendered in exactly one place.
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { REQUEST_ID, type CallContext, type Locale, type ServiceHandlers } from '../context.js';
import { pickLocale } from '../locale.js';
import { toGrpcServiceError, toStatus } from '../status.js';
import { peerAddress, type TrustedProxies } from '../clientip.js';
import type { CallObserver } from '../../observability/index.js';

export interface GrpcOptions {
  log: Logger;
  defaultLocale: Locale;
  proxies: TrustedProxies;
  /** Counts, times and traces every call. */
  observer?: CallObserver;
}

function contextOf(call: grpc.ServerUnaryCall<unknown, unknown>, opts: GrpcOptions): CallContext {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.metadata.getMap())) {
    if (typeof v === 'string') metadata[k] = v;
  }
  // randomUUID draws from a cached entropy pool: cheaper than randomBytes on every call.
  const given = metadata['x-request-id'];
  const requestId = given && REQUEST_ID.test(given) ? given : randomUUID().replaceAll('-', '');
  return {
    metadata,
    clientIp: opts.proxies.clientIp(peerAddress(call.getPeer()), metadata['x-forwarded-for']),
    locale: pickLocale(metadata['accept-language'], opts.defaultLocale),
    requestId,
  };
}

export function addService(server: grpc.Server, definition: grpc.ServiceDefinition, handlers: ServiceHandlers, opts: GrpcOptions): void {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [key, method] of Object.entries(definition)) {
    const rpc = method.path.slice(method.path.lastIndexOf('/') + 1);
    const handler = handlers[rpc];
    // grpc-js answers UNIMPLEMENTED for a method left out, as the REST side answers 501.
    if (!handler) continue;
    const cells = opts.observer?.rpc('grpc', method.path.slice(1));
    impl[key] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const ctx = contextOf(call, opts);
      // The metadata (traceparent among it) as contextOf read it.
      const observed = cells && opts.observer?.start(ctx.metadata, cells);
      const echo = new grpc.Metadata();
      echo.set('x-request-id', ctx.requestId);
      call.sendMetadata(echo);
      // Answered inside the call's span too, so that the error logged carries its trace id.
      const answer = () =>
        handler(call.request, ctx).then(
          (res) => {
            observed?.end('ok', 0, 0);
            callback(null, res);
          },
          (err) => {
            const rs = toStatus(err, ctx.locale, opts.log.child({ rpc, requestId: ctx.requestId }));
            observed?.end(rs.reason, rs.code, 0);
            callback(toGrpcServiceError(rs));
          },
        );
      void (observed ? observed.run(answer) : answer());
    };
  }
  server.addService(definition, impl);
}
