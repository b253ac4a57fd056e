import { Controller, Get, Headers, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CallId, type IceServersView, IceServersView as IceServersSchema } from '#contracts';
import { JwtVerifier, ZodValidationPipe, openApiSchema } from '#infra';
import { IceServersService } from './ice-servers.service.js';

const IceServersQuery = z.strictObject({ callId: CallId.optional() });

/** STUN/TURN credentials over REST, for clients that want them before or outside a socket. */
@ApiTags('ice')
@ApiBearerAuth()
@Controller('ice-servers')
export class IceServersController {
  constructor(
    private readonly iceServers: IceServersService,
    @Inject(JwtVerifier) private readonly verifier: JwtVerifier,
  ) {}

  @Get()
  @ApiOperation({ summary: 'ICE servers with ephemeral TURN credentials (coturn use-auth-secret), optionally scoped to a call.' })
  @ApiOkResponse({ schema: openApiSchema(IceServersSchema) })
  async get(
    @Headers('authorization') authorization: string | undefined,
    @Query(new ZodValidationPipe(IceServersQuery)) query: z.infer<typeof IceServersQuery>,
  ): Promise<IceServersView> {
    const user = await this.verifier.verify(authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined);
    return this.iceServers.mint(user.userId, query.callId);
  }
}
