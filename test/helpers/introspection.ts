// Clients for what a gRPC listener says about itself: grpc.health.v1.Health and server reflection
// (what grpcurl uses), built from the protos the two packages ship.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import { FileDescriptorProto } from 'ts-proto-descriptors';

const creds = grpc.credentials.createInsecure();

const HealthClient = grpc.makeClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'grpc.health.v1.Health');

export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN';

export interface HealthProbe {
  /** The status, or the gRPC error code (NOT_FOUND for a service the listener does not know). */
  check(service: string): Promise<ServingStatus | number>;
  /** Opens a Watch; `statuses` collects what arrives, `ended` settles when the server ends it. */
  watch(service: string): { statuses: ServingStatus[]; ended: Promise<void>; first: Promise<void> };
  close(): void;
}

export function healthProbe(port: number): HealthProbe {
  const client = new HealthClient(`127.0.0.1:${port}`, creds) as any;
  return {
    check: (service) =>
      new Promise((resolve) =>
        client.check({ service }, (err: grpc.ServiceError | null, res: { status: ServingStatus }) => resolve(err ? err.code : res.status)),
      ),
    watch(service) {
      const statuses: ServingStatus[] = [];
      const stream = client.watch({ service });
      const first = new Promise<void>((resolve) => stream.once('data', () => resolve()));
      stream.on('data', (r: { status: ServingStatus }) => statuses.push(r.status));
      const ended = new Promise<void>((resolve, reject) => {
        stream.on('status', () => resolve());
        stream.on('error', reject);
      });
      return { statuses, ended, first };
    },
    close: () => client.close(),
  };
}

const reflectionProto = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@grpc/reflection')),
  '../proto/grpc/reflection/v1/reflection.proto',
);
const reflection = grpc.loadPackageDefinition(protoLoader.loadSync(reflectionProto, { keepCase: true })) as any;

/** One request on a reflection stream, as grpcurl sends them. */
function reflect(port: number, request: object): Promise<any> {
  const client = new reflection.grpc.reflection.v1.ServerReflection(`127.0.0.1:${port}`, creds);
  return new Promise((resolve, reject) => {
    const stream = client.ServerReflectionInfo();
    stream.once('data', (res: any) => {
      stream.end();
      client.close();
      resolve(res);
    });
    stream.once('error', reject);
    stream.write(request);
  });
}

/** `grpcurl list`. */
export async function listServices(port: number): Promise<string[]> {
  const res = await reflect(port, { list_services: '*' });
  return res.list_services_response.service.map((s: { name: string }) => s.name).sort();
}

/**
 * The names of the files a reflection request returns (the file asked for and what it needs):
 * `{ file_containing_symbol }` as `grpcurl describe` sends it, then `{ file_by_filename }` for
 * each import it does not have yet.
 */
export async function filesOf(
  port: number,
  request: { file_containing_symbol: string } | { file_by_filename: string },
): Promise<string[] | { error: number }> {
  const res = await reflect(port, request);
  if (res.error_response) return { error: res.error_response.error_code };
  return res.file_descriptor_response.file_descriptor_proto.map((b: Buffer) => FileDescriptorProto.decode(b).name);
}
