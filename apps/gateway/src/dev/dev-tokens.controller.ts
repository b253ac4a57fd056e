import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { DisplayName, UserId } from '#contracts';
import { ZodValidationPipe } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';

const MintTokenBody = z.strictObject({
  userId: UserId,
  name: DisplayName.optional(),
  ttlSeconds: z.number().int().min(1).max(86_400).default(3600),
});
type MintTokenBody = z.infer<typeof MintTokenBody>;

/** Development only (DEV_TOKENS=true, refused in production): tokens for demo users. */
@ApiExcludeController()
@Controller('dev/tokens')
export class DevTokensController {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  @Post()
  @HttpCode(201)
  async mint(@Body(new ZodValidationPipe(MintTokenBody)) body: MintTokenBody): Promise<{ token: string; expiresIn: number }> {
    let jwt = new SignJWT({ name: body.name })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(body.userId)
      .setIssuedAt()
      .setExpirationTime(`${body.ttlSeconds}s`);
    if (this.config.AUTH_JWT_ISSUER) jwt = jwt.setIssuer(this.config.AUTH_JWT_ISSUER);
    if (this.config.AUTH_JWT_AUDIENCE) jwt = jwt.setAudience(this.config.AUTH_JWT_AUDIENCE);
    return { token: await jwt.sign(new TextEncoder().encode(this.config.AUTH_JWT_SECRET)), expiresIn: body.ttlSeconds };
  }
}
