import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppError, ErrorCode } from '#contracts';
import { secretsEqual } from '#infra';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';

/** The admin history API: `Authorization: Bearer <ADMIN_API_TOKEN>`. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(CALLS_CONFIG) private readonly config: CallsConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<Request>().header('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    if (!secretsEqual(token, this.config.ADMIN_API_TOKEN))
      throw new AppError(ErrorCode.UNAUTHORIZED, 'Missing or wrong admin bearer token.');
    return true;
  }
}
