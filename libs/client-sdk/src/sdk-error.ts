import type { ErrorBody } from '#contracts';

/**
 * Codes the client raises itself, never the server: the platform's own codes are ErrorCode in
 * libs/contracts. Stable like those: apps switch on them.
 */
export const SdkErrorCode = {
  /** No acknowledgement within the request timeout. */
  TIMEOUT: 'TIMEOUT',
  /** The socket is down; the message was not sent. */
  NOT_CONNECTED: 'NOT_CONNECTED',
  /** The app's token provider threw or rejected, so no handshake (or `session:refresh`) was attempted. */
  TOKEN_UNAVAILABLE: 'TOKEN_UNAVAILABLE',
  /** A camera switch found no camera facing the other way (one camera, or all face one way). */
  NO_OTHER_CAMERA: 'NO_OTHER_CAMERA',
  /** Every camera facing the other way failed to open or to deliver frames: the old one was kept. */
  CAMERA_UNAVAILABLE: 'CAMERA_UNAVAILABLE',
  /** A camera operation while no call has a camera open. */
  NO_CAMERA_IN_USE: 'NO_CAMERA_IN_USE',
} as const;
export type SdkErrorCode = (typeof SdkErrorCode)[keyof typeof SdkErrorCode];

/** A refused message or a failed client operation: a stable code plus a human message. */
export class CallSdkError extends Error {
  constructor(
    readonly code: ErrorBody['code'] | SdkErrorCode,
    message: string,
    /** With RATE_LIMITED: how long until the refused message would be accepted. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'CallSdkError';
  }
}
