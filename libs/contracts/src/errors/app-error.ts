import { ErrorCode } from './error-code.js';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** With RATE_LIMITED only: how long until the refused action would be accepted again. */
  retryAfterMs?: number;
}

/** A domain error that knows no transport; HTTP and socket filters translate it. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message };
  }

  static isErrorBody(value: unknown): value is ErrorBody {
    if (typeof value !== 'object' || value === null) return false;
    const { code, message } = value as Record<string, unknown>;
    return typeof code === 'string' && code in ErrorCode && typeof message === 'string';
  }
}
