// What the CLI prints when something fails, and its exit code. Expected failures get one line
// (`error: <reason>: <message>`) and no stack.
import { type Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { BadRequest, ErrorInfo } from '../gen/google/rpc/error_details.js';
import { Status } from '../gen/google/rpc/status.js';

export const EXIT = {
  OK: 0,
  /** The server answered with an error. */
  SERVER: 1,
  /** Bad command line or configuration. */
  USAGE: 2,
  /** The admin API could not be reached. */
  UNREACHABLE: 3,
} as const;

/** An expected failure: printed as `error: <message>` (plus an optional hint), no stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** What a gRPC error carries, read from its status details. */
export interface GrpcFailure {
  code: number;
  /** ErrorInfo.reason, or the status code name in lower case when the server sent none. */
  reason: string;
  message: string;
  /** From google.rpc.BadRequest. */
  violations: { field: string; description: string }[];
  /** Whether a google.rpc.ErrorInfo came with it (so the server itself answered). */
  fromServer: boolean;
}

export function isServiceError(err: unknown): err is Error & { code: number; details?: string; metadata?: Metadata } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'metadata' in err;
}

/** Reads the grpc-status-details-bin trailer (google.rpc.Status with Any details). */
export function readGrpcFailure(err: Error & { code: number; details?: string; metadata?: Metadata }): GrpcFailure {
  const failure: GrpcFailure = {
    code: err.code,
    reason: (GrpcStatus[err.code] ?? 'unknown').toLowerCase(),
    message: err.details || err.message,
    violations: [],
    fromServer: false,
  };
  const raw = err.metadata?.get('grpc-status-details-bin')[0];
  if (!raw) return failure;
  try {
    const status = Status.decode(typeof raw === 'string' ? Buffer.from(raw, 'base64') : raw);
    if (status.message) failure.message = status.message;
    for (const any of status.details) {
      const type = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
      if (type === 'google.rpc.ErrorInfo' && !failure.fromServer) {
        const info = ErrorInfo.decode(any.value);
        if (info.reason) failure.reason = info.reason;
        failure.fromServer = true;
      } else if (type === 'google.rpc.BadRequest') {
        for (const v of BadRequest.decode(any.value).field_violations) {
          failure.violations.push({ field: v.field, description: v.description });
        }
      }
    }
  } catch {
    // A malformed trailer: fall back to the plain status.
  }
  return failure;
}

/** Turns a gRPC error into the CLI's message and exit code. */
export function grpcErrorToCli(err: Error & { code: number; details?: string; metadata?: Metadata }, adminUrl: string): CliError {
  const f = readGrpcFailure(err);
  const lostConnection = !f.fromServer && (f.code === GrpcStatus.UNAVAILABLE || f.code === GrpcStatus.DEADLINE_EXCEEDED);
  if (lostConnection) {
    // grpc-js appends an empty "Resolution note:" to connection failures.
    const why = f.message.replace(/\.?\s*Resolution note:\s*$/, '');
    return new CliError(
      `cannot reach the admin API at ${adminUrl}: ${why}`,
      EXIT.UNREACHABLE,
      'is `signet serve` running? (set --admin-url or SIGNET_ADMIN_URL if it listens elsewhere)',
    );
  }
  const lines = [`${f.reason}: ${f.message}`, ...f.violations.map((v) => `  ${v.field}: ${v.description}`)];
  const hint =
    f.code === GrpcStatus.UNAUTHENTICATED || f.code === GrpcStatus.PERMISSION_DENIED
      ? 'check SIGNET_ADMIN_TOKEN (or the admin-token file in SIGNET_DATA_DIR) against the server'
      : undefined;
  return new CliError(lines.join('\n'), EXIT.SERVER, hint);
}
