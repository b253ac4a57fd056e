import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { AppError, type ErrorBody, ErrorCode, fail } from '#contracts';
import { LogBudget } from '#infra';
import { GatewayMetrics } from '../metrics/gateway-metrics.service.js';
import type { SignalingSocket } from './signaling-socket.js';

/**
 * Every failed message is answered through its ack as `{ ok: false, error: { code, message } }`.
 * Nest's default would emit an `exception` event with "Internal server error" (nest#3476).
 */
/** Refused messages logged per second at most; every one is counted (vc_gateway_refused_messages_total). */
const REFUSAL_LOG_LINES_PER_SECOND = 20;

@Catch()
export class WsErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(WsErrorFilter.name);
  private readonly budget = new LogBudget(REFUSAL_LOG_LINES_PER_SECOND);

  constructor(private readonly metrics: GatewayMetrics) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const socket = ws.getClient<SignalingSocket>();
    const ack = host.getArgs().find((arg): arg is (response: unknown) => void => typeof arg === 'function');
    const error = this.toBody(exception);
    this.metrics.refusedMessage(error.code);
    const skipped = this.budget.take();
    // Refusals are a client's doing and mostly routine (a late relay, a stale call): debug, budgeted.
    if (skipped !== null)
      this.logger.debug({
        msg: 'message refused',
        event: ws.getPattern(),
        code: error.code,
        ...(skipped > 0 ? { skippedSinceLast: skipped } : {}),
      });
    if (ack) ack(fail(error));
    else socket.emit('protocol:error', { event: ws.getPattern(), error });
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof AppError) return exception.toBody();
    this.logger.error({
      msg: 'unexpected error handling a message',
      err: exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    });
    return { code: ErrorCode.INTERNAL, message: 'Unexpected gateway error; it has been logged.' };
  }
}
