// gRPC server reflection (grpc.reflection.v1 and v1alpha), so that grpcurl, Postman and the like
// list and call the API without the proto files. The descriptors come from the generated code
// (ts-proto's outputSchema), so what reflection describes is what the server was built from, and
// the compiled server needs no .proto file at run time.
import type * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { FileDescriptorProto } from 'ts-proto-descriptors';

/** The shape of a generated file's `protoMetadata`. */
export interface ProtoMetadata {
  fileDescriptor: FileDescriptorProto;
  dependencies?: ProtoMetadata[];
}

/** Serialized FileDescriptorProtos of the given files and everything they import, each once. */
export function fileDescriptors(roots: ProtoMetadata[]): Buffer[] {
  const files = new Map<string, Buffer>();
  const visit = (m: ProtoMetadata) => {
    const name = m.fileDescriptor.name;
    if (files.has(name)) return;
    files.set(name, Buffer.from(FileDescriptorProto.encode(m.fileDescriptor).finish()));
    for (const d of m.dependencies ?? []) visit(d);
  };
  for (const r of roots) visit(r);
  return [...files.values()];
}

type PackageDefinition = ConstructorParameters<typeof ReflectionService>[0];

/**
 * Adds reflection to `server`, describing only `services` (the listener's own: the admin API is
 * not listed on the public listener). `descriptors` must hold their files and all they import.
 */
export function addReflection(server: grpc.Server, services: string[], descriptors: Buffer[]): void {
  // ReflectionService reads nothing but the fileDescriptorProtos of a proto-loader definition.
  const pkg = { descriptors: { fileDescriptorProtos: descriptors } } as unknown as PackageDefinition;
  new ReflectionService(pkg, { services }).addToServer(server);
}
