import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppError, ErrorCode, INTERNAL_TOKEN_HEADER } from '#contracts';
import { secretsEqual } from '#infra';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';

/** /internal/* is for the gateway only: it must present the shared internal token. */
@Injectable()
export class InternalTokenGuard implements CanActivate {
  constructor(@Inject(CALLS_CONFIG) private readonly config: CallsConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const presented = context.switchToHttp().getRequest<Request>().header(INTERNAL_TOKEN_HEADER);
    if (!secretsEqual(presented, this.config.INTERNAL_API_TOKEN))
      throw new AppError(ErrorCode.UNAUTHORIZED, `Missing or wrong ${INTERNAL_TOKEN_HEADER} header.`);
    return true;
  }
}
