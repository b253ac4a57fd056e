import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { JwtVerifier, type VerifiedIdentity } from '#infra';

export type AuthenticatedRequest = Request & { user: VerifiedIdentity };

/** The iOS app's REST calls carry the same identity-provider JWT as its socket. */
@Injectable()
export class UserAuthGuard implements CanActivate {
  constructor(private readonly verifier: JwtVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.header('authorization');
    request.user = await this.verifier.verify(header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined);
    return true;
  }
}
