// One error model, rendered per dialect: gRPC's grpc-status-details-bin trailer, and one JSON body
// that is at once grpc-gateway's Status and the CloudBase error the JS SDK reads.
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { Code, SignetError, isSignetError, type ErrorDetails, type FieldViolation, type Reason } from '../domain/errors.js';
import { formatMessage, resolveMessage, type MessageId } from './messages.js';
import type { Any } from '../gen/google/protobuf/any.js';
import { BadRequest, ErrorInfo, LocalizedMessage, RetryInfo } from '../gen/google/rpc/error_details.js';
import { Status } from '../gen/google/rpc/status.js';
import type { Logger } from '../logger.js';
import type { Locale } from './context.js';
import { durationOf, formatDuration } from './protojson.js';

export const ERROR_DOMAIN = 'signet.auth.v1';

const TYPE_PREFIX = 'type.googleapis.com/';
export const TYPE_URLS = {
  errorInfo: `${TYPE_PREFIX}google.rpc.ErrorInfo`,
  badRequest: `${TYPE_PREFIX}google.rpc.BadRequest`,
  retryInfo: `${TYPE_PREFIX}google.rpc.RetryInfo`,
  localizedMessage: `${TYPE_PREFIX}google.rpc.LocalizedMessage`,
} as const;

export interface RenderedStatus {
  /** gRPC code. */
  code: number;
  reason: Reason;
  /** The catalogue text in the call's locale. */
  message: string;
  /** The catalogue entry answered (the reason, or the variant the domain named). */
  messageId: MessageId;
  /** Its HZERO key, when HZERO has one (also in errorInfo.metadata.hzero_key). */
  hzeroKey?: string;
  httpStatus: number;
  errorInfo: { reason: string; domain: string; metadata: Record<string, string> };
  badRequest?: { fieldViolations: FieldViolation[] };
  retryInfo?: { seconds: number };
  localizedMessage: { locale: Locale; message: string };
}

/**
 * The rendering of anything thrown by a handler. A SignetError carries its own reason and details;
 * anything else is a bug: it is logged with its stack and answered as `internal` without a word
 * of its text, which may hold SQL, paths or secrets.
 */
export function toStatus(err: unknown, locale: Locale, log?: Logger): RenderedStatus {
  if (!isSignetError(err)) {
    log?.error({ err }, 'unexpected error');
    return render('internal', Code.INTERNAL, {}, locale);
  }
  if (err.reason === 'unavailable' && err.cause !== undefined) {
    // A dependency away (storage/unavailable.ts): the operator's to see, the client's to retry.
    log?.warn({ err: err.cause, reason: err.reason, detail: err.detail }, 'request failed: dependency unavailable');
  } else if (err.reason === 'internal' && err.cause !== undefined) {
    log?.error({ err: err.cause, reason: err.reason, detail: err.detail }, 'request failed');
  } else {
    // The detail is the operator's: logged (and audited by the domain), never rendered.
    log?.debug({ reason: err.reason, detail: err.detail }, 'request refused');
  }
  return render(err.reason, err.code, err.details, locale, err instanceof HttpError ? err.httpStatus : undefined);
}

/**
 * An error of the HTTP wire itself, whose status is not the one its code implies: 405 for a
 * known path with the wrong method, 413 for a body over the limit (as grpc-gateway answers).
 */
export class HttpError extends SignetError {
  constructor(
    reason: Reason,
    detail: string,
    readonly httpStatus: number,
    details: ErrorDetails = {},
  ) {
    super(reason, detail, details);
  }
}

/** grpc-gateway's HTTPStatusFromCode. */
export function httpStatusFor(code: number): number {
  switch (code) {
    case Code.OK:
      return 200;
    case Code.CANCELLED:
      return 499;
    case Code.INVALID_ARGUMENT:
      return 400;
    case Code.DEADLINE_EXCEEDED:
      return 504;
    case Code.NOT_FOUND:
      return 404;
    case Code.ALREADY_EXISTS:
      return 409;
    case Code.PERMISSION_DENIED:
      return 403;
    case Code.UNAUTHENTICATED:
      return 401;
    case Code.RESOURCE_EXHAUSTED:
      return 429;
    case Code.FAILED_PRECONDITION:
      return 400;
    case Code.ABORTED:
      return 409;
    case Code.OUT_OF_RANGE:
      return 400;
    case Code.UNIMPLEMENTED:
      return 501;
    case Code.UNAVAILABLE:
      return 503;
    default:
      return 500;
  }
}

/** The longest piece of any detail: it may hold client input (a field name, a grant type). */
const EXCERPT = 96;

/**
 * A detail as it may be sent back: control characters replaced and long values cut, so that no
 * answer grows with the request (a trailer of gRPC's, for one, must fit HTTP/2's header limits).
 */
export function excerpt(s: string): string {
  const clean = s.replace(/\p{Cc}/gu, '\uFFFD');
  return clean.length <= EXCERPT ? clean : `${clean.slice(0, EXCERPT - 1)}…`;
}

function render(reason: Reason, code: number, d: ErrorDetails, locale: Locale, httpStatus?: number): RenderedStatus {
  const { id, entry } = resolveMessage(reason, d.message, d.params);
  const params = d.params?.map((p) => (typeof p === 'string' ? excerpt(p) : p));
  const message = formatMessage(entry, locale, params);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata ?? {})) metadata[excerpt(k)] = excerpt(v);
  // The key is in the metadata for every dialect, so a gRPC or CloudBase client can switch on
  // the same catalogue key an HZERO front end does.
  if (entry.hzeroKey) metadata.hzero_key = entry.hzeroKey;
  const rs: RenderedStatus = {
    code,
    reason,
    message,
    messageId: id,
    hzeroKey: entry.hzeroKey,
    httpStatus: httpStatus ?? httpStatusFor(code),
    errorInfo: { reason, domain: ERROR_DOMAIN, metadata },
    localizedMessage: { locale, message },
  };
  if (d.fieldViolations?.length) {
    rs.badRequest = {
      fieldViolations: d.fieldViolations.slice(0, 8).map((v) => ({ field: excerpt(v.field), description: excerpt(v.description) })),
    };
  }
  if (d.retryAfterSeconds !== undefined && d.retryAfterSeconds >= 0) rs.retryInfo = { seconds: d.retryAfterSeconds };
  return rs;
}

/** google.rpc.Status with Any details: ErrorInfo first, then BadRequest, RetryInfo, LocalizedMessage. */
export function statusToGrpcDetailsBin(rs: RenderedStatus): Buffer {
  const details: Any[] = [{ type_url: TYPE_URLS.errorInfo, value: bytes(ErrorInfo.encode(ErrorInfo.fromPartial(rs.errorInfo)).finish()) }];
  if (rs.badRequest) {
    const br = BadRequest.fromPartial({ field_violations: rs.badRequest.fieldViolations });
    details.push({ type_url: TYPE_URLS.badRequest, value: bytes(BadRequest.encode(br).finish()) });
  }
  if (rs.retryInfo) {
    const ri = RetryInfo.fromPartial({ retry_delay: durationOf(rs.retryInfo.seconds) });
    details.push({ type_url: TYPE_URLS.retryInfo, value: bytes(RetryInfo.encode(ri).finish()) });
  }
  const lm = LocalizedMessage.fromPartial(rs.localizedMessage);
  details.push({ type_url: TYPE_URLS.localizedMessage, value: bytes(LocalizedMessage.encode(lm).finish()) });
  return bytes(Status.encode({ code: rs.code, message: rs.message, details }).finish());
}

const bytes = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * A grpc-js ServiceError for a unary callback: grpc-js sends `code` and `details` as grpc-status
 * and grpc-message, and the metadata (with grpc-status-details-bin) as trailers.
 */
export function toGrpcServiceError(rs: RenderedStatus): ServiceError {
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', statusToGrpcDetailsBin(rs));
  return Object.assign(new Error(rs.message), { code: rs.code, details: rs.message, metadata });
}

/** The ErrorInfo entry of the JSON details, with the keys the CloudBase SDK reads from details[0]. */
export interface ErrorInfoJson {
  '@type': string;
  reason: string;
  domain: string;
  metadata: Record<string, string>;
  /** Remaining password attempts: metadata.limit_remaining as a number. */
  limit_remaining?: number;
  /** The RetryInfo delay, repeated here because the SDK reads details[0].retry_delay. */
  retry_delay?: string;
}

export interface StatusJson {
  code: number;
  message: string;
  details: Array<ErrorInfoJson | Record<string, unknown>>;
  /** CloudBase: the reason; the SDK throws any body whose `error` is truthy. */
  error: string;
  error_code: number;
  error_description: string;
}

/**
 * The REST error body. grpc-gateway's Status JSON (protojson, proto names) plus CloudBase's
 * error / error_code / error_description, so that both kinds of client read it unchanged. The
 * CloudBase extras in details[0] are extra keys on the ErrorInfo object: a strict protojson
 * reader of the Status must discard unknown fields to read it.
 */
export function statusToJson(rs: RenderedStatus): StatusJson {
  const info: ErrorInfoJson = {
    '@type': TYPE_URLS.errorInfo,
    reason: rs.errorInfo.reason,
    domain: rs.errorInfo.domain,
    metadata: rs.errorInfo.metadata,
  };
  const remaining = rs.errorInfo.metadata.limit_remaining;
  if (remaining !== undefined && remaining !== '' && Number.isFinite(Number(remaining))) {
    info.limit_remaining = Number(remaining);
  }
  const retryDelay = rs.retryInfo ? formatDuration(durationOf(rs.retryInfo.seconds)) : undefined;
  if (retryDelay !== undefined) info.retry_delay = retryDelay;

  const details: StatusJson['details'] = [info];
  if (rs.badRequest) {
    details.push({
      '@type': TYPE_URLS.badRequest,
      field_violations: rs.badRequest.fieldViolations.map((v) => ({ field: v.field, description: v.description })),
    });
  }
  if (retryDelay !== undefined) details.push({ '@type': TYPE_URLS.retryInfo, retry_delay: retryDelay });
  details.push({ '@type': TYPE_URLS.localizedMessage, locale: rs.localizedMessage.locale, message: rs.localizedMessage.message });
  return {
    code: rs.code,
    message: rs.message,
    details,
    error: rs.reason,
    error_code: rs.code,
    error_description: rs.message,
  };
}
