import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { VerifiedIdentity } from '#infra';
import type { AuthenticatedRequest } from './user-auth.guard.js';

export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext): VerifiedIdentity => context.switchToHttp().getRequest<AuthenticatedRequest>().user,
);
