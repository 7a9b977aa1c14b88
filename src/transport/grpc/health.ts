// grpc.health.v1.Health (the grpc-health-check package) for a listener: the overall status ('')
// and one per service, SERVING while the instance is ready, NOT_SERVING when a dependency fails
// and for good once the drain has begun. Kubernetes' gRPC probes and Envoy ask Check; gRPC's
// client-side health checking keeps a Watch open.
import type * as grpc from '@grpc/grpc-js';
import { HealthImplementation, service as healthService, type ServingStatus } from 'grpc-health-check';
import type { Readiness } from '../../lifecycle/readiness.js';

export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** The descriptors of health.proto, for reflection. */
export const healthDescriptors = (): Buffer[] =>
  (healthService.Check.requestType as unknown as { fileDescriptorProtos: Buffer[] }).fileDescriptorProtos;

export interface GrpcHealth {
  /**
   * Ends the open Watch streams (they have been told NOT_SERVING by then): a watch never ends on
   * its own, and the drain waits for every call to finish.
   */
  endWatches(): void;
}

type Watch = grpc.ServerWritableStream<unknown, unknown>;

export function addHealth(server: grpc.Server, services: string[], readiness: Readiness): GrpcHealth {
  const names = ['', ...services];
  const statusOf = (ready: boolean): ServingStatus => (ready ? 'SERVING' : 'NOT_SERVING');
  const health = new HealthImplementation(Object.fromEntries(names.map((n) => [n, statusOf(!readiness.isDraining)])));
  readiness.onChange((ready) => {
    for (const n of names) health.setStatus(n, statusOf(ready));
  });

  // The package's handlers, wrapped so that each answer follows a fresh (cached) readiness report.
  let impl: grpc.UntypedServiceImplementation = {};
  health.addToServer({
    addService: (_definition, implementation) => {
      impl = implementation as grpc.UntypedServiceImplementation;
    },
  });
  const check = impl.check as grpc.handleUnaryCall<unknown, unknown>;
  const list = impl.list as grpc.handleUnaryCall<unknown, unknown>;
  const watch = impl.watch as grpc.handleServerStreamingCall<unknown, unknown>;
  const watches = new Set<Watch>();
  let watchesEnded = false;
  const refreshed = () => readiness.report();

  server.addService(healthService as unknown as grpc.ServiceDefinition, {
    check: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => void refreshed().then(() => check(call, cb)),
    list: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => void refreshed().then(() => list(call, cb)),
    watch: (call: Watch) => {
      watch(call);
      // A watch that slipped in as the listener was closing is told, then ended like the others.
      if (watchesEnded) return void call.end();
      watches.add(call);
      call.once('cancelled', () => watches.delete(call));
      void refreshed();
    },
  });

  return {
    endWatches() {
      watchesEnded = true;
      for (const call of watches) call.end();
      watches.clear();
    },
  };
}
