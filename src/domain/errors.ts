// The one error type of Signet. The domain raises it; each transport renders it once (gRPC status
// with details, grpc-gateway JSON plus CloudBase fields). Anything else thrown is a bug and is
// answered as `internal` without its text.

/**
 * The answers the domain can name when the reason alone does not say enough (this failure locked
 * the account; the unknown identifier was a phone number). Each dialect words them, with their
 * HZERO keys, in src/transport/messages.ts, which must have every one.
 */
export const MESSAGE_VARIANTS = [
  'invalid_argument.phone_format',
  'invalid_argument.email_format',
  'invalid_argument.destination_missing',
  'invalid_argument.sms_code_missing',
  'invalid_argument.password_undecodable',
  'invalid_argument.password_replayed',
  'invalid_password.uncounted',
  'invalid_status.max_attempts',
  'not_found.user',
  'not_found.phone',
  'not_found.email',
  'verification_invalid.expired',
  'invalid_grant.account_mismatch',
  'invalid_grant.ticket_invalid',
  'invalid_grant.ticket_expired',
  'invalid_grant.ticket_replayed',
  'invalid_client.tenant_invalid',
  'resource_exhausted.code_resend',
  'resource_exhausted.code_daily',
  'unavailable.code_send',
  'weak_password.too_short',
  'weak_password.too_long',
  'weak_password.classes',
  'weak_password.contains_identifier',
  'weak_password.common',
  'permission_denied.sudo_required',
  'already_exists.contact_taken',
  'permission_denied.sign_up_closed',
  'permission_denied.existence_hidden',
] as const;
export type MessageVariant = (typeof MESSAGE_VARIANTS)[number];

/** gRPC status codes (google.rpc.Code). */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

/**
 * Every reason Signet answers with, and its gRPC code. The HTTP status follows from the code
 * exactly as grpc-gateway maps it (transport/status.ts, httpStatusFor).
 */
export const REASONS = {
  invalid_argument: Code.INVALID_ARGUMENT,
  invalid_password: Code.UNAUTHENTICATED,
  user_pending: Code.FAILED_PRECONDITION,
  user_blocked: Code.PERMISSION_DENIED,
  user_expired: Code.FAILED_PRECONDITION,
  tenant_disabled: Code.FAILED_PRECONDITION,
  permission_denied: Code.PERMISSION_DENIED,
  invalid_status: Code.FAILED_PRECONDITION,
  not_found: Code.NOT_FOUND,
  already_exists: Code.ALREADY_EXISTS,
  phone_required: Code.FAILED_PRECONDITION,
  captcha_required: Code.FAILED_PRECONDITION,
  captcha_invalid: Code.INVALID_ARGUMENT,
  verification_invalid: Code.INVALID_ARGUMENT,
  invalid_grant: Code.INVALID_ARGUMENT,
  unauthorized_client: Code.UNAUTHENTICATED,
  unsupported_grant_type: Code.INVALID_ARGUMENT,
  invalid_scope: Code.INVALID_ARGUMENT,
  invalid_client: Code.UNAUTHENTICATED,
  resource_exhausted: Code.RESOURCE_EXHAUSTED,
  unauthenticated: Code.UNAUTHENTICATED,
  method_not_allowed: Code.UNIMPLEMENTED,
  unavailable: Code.UNAVAILABLE,
  internal: Code.INTERNAL,
  // The device authorization grant's polling answers (RFC 8628 3.5): HTTP 400 with `error` set,
  // so every one has a code grpc-gateway answers 400 for.
  /** The user has not yet approved or denied the device: poll again after the interval. */
  authorization_pending: Code.FAILED_PRECONDITION,
  /** Polled sooner than the interval: wait the interval, now 5 s longer (RetryInfo says how long). */
  slow_down: Code.FAILED_PRECONDITION,
  /** The device code expired before it was approved: start again. */
  expired_token: Code.INVALID_ARGUMENT,
  /** The user denied the device. */
  access_denied: Code.INVALID_ARGUMENT,
  /** A new password breaks the tenant's password policy; the message variant names what failed. */
  weak_password: Code.INVALID_ARGUMENT,
} as const satisfies Record<string, Code>;
export type Reason = keyof typeof REASONS;

export interface FieldViolation {
  field: string;
  description: string;
}

export interface ErrorDetails {
  /** Extra ErrorInfo metadata (string values only, as google.rpc.ErrorInfo demands). */
  metadata?: Record<string, string>;
  /** Rendered as google.rpc.BadRequest. */
  fieldViolations?: FieldViolation[];
  /** Rendered as google.rpc.RetryInfo. */
  retryAfterSeconds?: number;
  /** Values for the placeholders of the catalogue message ({0}, {1}, …). */
  params?: (string | number)[];
  /**
   * The catalogue entry to answer with when the reason alone does not say it: the failure that
   * locked the account (not a later one), an unknown phone rather than an unknown account. An
   * entry of another reason is ignored. Every dialect renders it: the text, and its HZERO key.
   */
  message?: MessageVariant;
}

export class SignetError extends Error {
  readonly reason: Reason;
  readonly code: Code;
  readonly details: ErrorDetails;
  /**
   * Why, for the operator: a short code (`refresh_token_unknown`, `replay`, `lock_confirmed`…)
   * that tells apart the causes one reason covers. Logged and written to the audit trail, never
   * rendered to a client.
   */
  readonly detail: string;

  constructor(reason: Reason, detail: string, details: ErrorDetails = {}, cause?: unknown) {
    super(reason, cause === undefined ? undefined : { cause });
    this.name = 'SignetError';
    this.reason = reason;
    this.code = REASONS[reason];
    this.detail = detail;
    this.details = details;
  }
}

export const isSignetError = (e: unknown): e is SignetError => e instanceof SignetError;

/**
 * A dependency (database, Redis, the code sender) failed: the request may be retried. Storage
 * raises it for outages; a catch-all that turns failures into refusals must let it through.
 */
export const isUnavailable = (e: unknown): e is SignetError => isSignetError(e) && e.reason === 'unavailable';

/** For those catch-alls: rethrows an outage, returns for anything else. */
export function rethrowUnavailable(e: unknown): void {
  if (isUnavailable(e)) throw e;
}

/** Shorthand for an invalid_argument naming the offending field; its detail names the field too. */
export function invalidArgument(field: string, description: string, message?: MessageVariant): SignetError {
  return new SignetError('invalid_argument', `bad_${field}`, {
    fieldViolations: [{ field, description }],
    ...(message ? { message } : {}),
  });
}
