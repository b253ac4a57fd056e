/**
 * Stable error codes. Clients switch on `code`; `message` is for humans and may change.
 * Adding a code is backwards compatible; renaming one is a protocol break.
 */
export const ErrorCode = {
  // Connection (Socket.IO `connect_error`, `err.data.code`)
  AUTH_TOKEN_MISSING: 'AUTH_TOKEN_MISSING',
  AUTH_TOKEN_INVALID: 'AUTH_TOKEN_INVALID',
  AUTH_TOKEN_EXPIRED: 'AUTH_TOKEN_EXPIRED',
  /** The identity provider's keys could not be fetched: transient, retry; not the token's fault. */
  AUTH_UNAVAILABLE: 'AUTH_UNAVAILABLE',
  DEVICE_ID_INVALID: 'DEVICE_ID_INVALID',
  /** This gateway node is shutting down: connect again (the balancer picks another node). */
  NODE_DRAINING: 'NODE_DRAINING',
  /** This device, or this user, already holds as many sockets as a gateway node allows. */
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  // Any message
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNKNOWN_EVENT: 'UNKNOWN_EVENT',
  ACK_REQUIRED: 'ACK_REQUIRED',
  /** Over a rate limit; the error body carries `retryAfterMs`. */
  RATE_LIMITED: 'RATE_LIMITED',
  // Call lifecycle
  CALL_NOT_FOUND: 'CALL_NOT_FOUND',
  NOT_A_PARTY: 'NOT_A_PARTY',
  SELF_CALL: 'SELF_CALL',
  CALLER_BUSY: 'CALLER_BUSY',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  ILLEGAL_TRANSITION: 'ILLEGAL_TRANSITION',
  CALL_ALREADY_ENDED: 'CALL_ALREADY_ENDED',
  ANSWERED_ELSEWHERE: 'ANSWERED_ELSEWHERE',
  CALL_NOT_ACTIVE: 'CALL_NOT_ACTIVE',
  /** A resume token that is invalid, expired, or not this device's for this call. */
  RESUME_REFUSED: 'RESUME_REFUSED',
  /**
   * A relay that would take the call's replay store for its recipient, or the sender's SDPs in the
   * call, past their byte cap: neither relayed nor stored. Final for that call and direction.
   */
  RELAY_QUOTA_EXCEEDED: 'RELAY_QUOTA_EXCEEDED',
  // Devices
  /** A push token another user's device holds: tokens move only between one user's devices. */
  PUSH_TOKEN_IN_USE: 'PUSH_TOKEN_IN_USE',
  // Infrastructure
  CALLS_UNAVAILABLE: 'CALLS_UNAVAILABLE',
  /** Health: a dependency is down (the body names it). */
  NOT_READY: 'NOT_READY',
  UNAUTHORIZED: 'UNAUTHORIZED',
  NOT_FOUND: 'NOT_FOUND',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** How each code maps onto HTTP, for the REST API and the gateway→calls transport. */
export const ERROR_HTTP_STATUS: Record<ErrorCode, number> = {
  AUTH_TOKEN_MISSING: 401,
  AUTH_TOKEN_INVALID: 401,
  AUTH_TOKEN_EXPIRED: 401,
  AUTH_UNAVAILABLE: 503,
  DEVICE_ID_INVALID: 400,
  NODE_DRAINING: 503,
  TOO_MANY_CONNECTIONS: 429,
  VALIDATION_FAILED: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNKNOWN_EVENT: 400,
  ACK_REQUIRED: 400,
  RATE_LIMITED: 429,
  CALL_NOT_FOUND: 404,
  NOT_A_PARTY: 403,
  SELF_CALL: 422,
  CALLER_BUSY: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  ILLEGAL_TRANSITION: 409,
  CALL_ALREADY_ENDED: 409,
  ANSWERED_ELSEWHERE: 409,
  CALL_NOT_ACTIVE: 409,
  RESUME_REFUSED: 403,
  RELAY_QUOTA_EXCEEDED: 413,
  PUSH_TOKEN_IN_USE: 409,
  CALLS_UNAVAILABLE: 503,
  NOT_READY: 503,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  INTERNAL: 500,
};
