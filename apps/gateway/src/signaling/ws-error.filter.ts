import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { AppError, type ErrorBody, ErrorCode, fail } from '#contracts';
import type { SignalingSocket } from './signaling-socket.js';

/**
 * Every failed message is answered through its ack as `{ ok: false, error: { code, message } }`.
 * Nest's default would emit an `exception` event with "Internal server error" (nest#3476).
 */
@Catch()
export class WsErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(WsErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const socket = ws.getClient<SignalingSocket>();
    const ack = host.getArgs().find((arg): arg is (response: unknown) => void => typeof arg === 'function');
    const error = this.toBody(exception);
    if (ack) ack(fail(error));
    else socket.emit('protocol:error', { event: ws.getPattern(), error });
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof AppError) return exception.toBody();
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return { code: ErrorCode.INTERNAL, message: 'Unexpected gateway error; it has been logged.' };
  }
}
