// What a gRPC listener says about itself: health (grpc.health.v1) and reflection, for the
// services it serves.
import type * as grpc from '@grpc/grpc-js';
import type { Readiness } from '../../lifecycle/readiness.js';
import { protoMetadata as accountProto } from '../../gen/signet/auth/v1/account_service.js';
import { protoMetadata as adminProto } from '../../gen/signet/auth/v1/admin_service.js';
import { protoMetadata as authProto } from '../../gen/signet/auth/v1/auth_service.js';
import { addHealth, HEALTH_SERVICE, healthDescriptors, type GrpcHealth } from './health.js';
import { addReflection, fileDescriptors, type ProtoMetadata } from './reflection.js';

/** Where each service is declared: its file carries its imports, down to google/protobuf. */
const FILES: Record<string, ProtoMetadata> = {
  'signet.auth.v1.AuthService': authProto,
  'signet.auth.v1.AccountService': accountProto,
  'signet.auth.v1.AdminService': adminProto,
};

/**
 * Adds health and reflection for `services` (generated definitions, which carry their full name).
 * Reflection describes only those (a public listener says nothing of the admin API).
 */
export function addIntrospection(server: grpc.Server, services: { fullName: string }[], readiness: Readiness): GrpcHealth {
  const names = services.map((s) => s.fullName);
  const health = addHealth(server, names, readiness);
  const files = names.map((n) => {
    const file = FILES[n];
    if (!file) throw new Error(`reflection: no descriptor for ${n}`);
    return file;
  });
  addReflection(server, [...names, HEALTH_SERVICE], [...fileDescriptors(files), ...healthDescriptors()]);
  return health;
}
