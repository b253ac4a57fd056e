import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppError, ERROR_HTTP_STATUS, ErrorCode, type ErrorBody } from '#contracts';

const STATUS_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.VALIDATION_FAILED,
  401: ErrorCode.UNAUTHORIZED,
  404: ErrorCode.NOT_FOUND,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
};

interface HealthReport {
  status: string;
  details: Record<string, unknown>;
  error?: Record<string, unknown>;
}
const isHealthReport = (body: unknown): body is HealthReport =>
  typeof body === 'object' && body !== null && 'details' in body && 'status' in body;

/** Every HTTP error leaves as `{ code, message }`; unexpected ones are logged, never leaked. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.toResponse(exception);
    response.status(status).json(body);
  }

  private toResponse(exception: unknown): [number, ErrorBody & { [detail: string]: unknown }] {
    if (exception instanceof AppError) return [ERROR_HTTP_STATUS[exception.code], { ...exception.toBody() }];
    if (exception instanceof HttpException && isHealthReport(exception.getResponse())) {
      // Terminus reports a failed readiness check as a 503 whose body says which dependency is down.
      const report = exception.getResponse() as HealthReport;
      const down = Object.keys(report.error ?? {}).join(', ');
      return [exception.getStatus(), { code: ErrorCode.NOT_READY, message: `Not ready: ${down} down.`, ...report }];
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = STATUS_CODES[status] ?? (status < 500 ? ErrorCode.VALIDATION_FAILED : ErrorCode.INTERNAL);
      return [status, { code, message: exception.message }];
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return [500, { code: ErrorCode.INTERNAL, message: 'Unexpected server error; it has been logged.' }];
  }
}
