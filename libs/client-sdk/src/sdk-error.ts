import type { ErrorBody } from '#contracts';

/** A refused message: the platform's stable code plus its human message. */
export class CallSdkError extends Error {
  constructor(
    readonly code: ErrorBody['code'] | 'TIMEOUT' | 'NOT_CONNECTED',
    message: string,
  ) {
    super(message);
    this.name = 'CallSdkError';
  }
}
