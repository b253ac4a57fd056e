import { AppError, type ErrorBody } from './app-error.js';
import { ErrorCode } from './error-code.js';

/** RATE_LIMITED with its retry-after: the one error whose body carries more than code and message. */
export class RateLimitedError extends AppError {
  constructor(
    what: string,
    readonly retryAfterMs: number,
  ) {
    super(ErrorCode.RATE_LIMITED, `Too many ${what}; retry in ${Math.ceil(retryAfterMs)} ms.`);
  }

  override toBody(): ErrorBody {
    return { ...super.toBody(), retryAfterMs: Math.ceil(this.retryAfterMs) };
  }
}
