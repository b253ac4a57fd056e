import { Controller, Get, Headers, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CallId, ErrorCode, type IceServersView, IceServersView as IceServersSchema } from '#contracts';
import { ApiErrors, JWT_ERRORS, JwtVerifier, openApiSchema, ZodQuery } from '#infra';
import { CallsClient } from '../signaling/calls.client.js';
import { IceServersService } from './ice-servers.service.js';

const IceServersQuery = z.strictObject({ callId: CallId.optional() });

/** STUN/TURN credentials over REST, for clients that want them before or outside a socket. */
@ApiTags('ice')
@ApiBearerAuth()
@Controller('ice-servers')
export class IceServersController {
  constructor(
    private readonly iceServers: IceServersService,
    private readonly calls: CallsClient,
    @Inject(JwtVerifier) private readonly verifier: JwtVerifier,
  ) {}

  @Get()
  @ApiOperation({ summary: 'ICE servers with ephemeral TURN credentials (coturn use-auth-secret), optionally scoped to a call.' })
  @ApiOkResponse({ schema: openApiSchema(IceServersSchema) })
  @ApiErrors(...JWT_ERRORS, ErrorCode.VALIDATION_FAILED, ErrorCode.CALL_NOT_FOUND, ErrorCode.CALLS_UNAVAILABLE)
  async get(
    @Headers('authorization') authorization: string | undefined,
    @ZodQuery(IceServersQuery) query: z.infer<typeof IceServersQuery>,
  ): Promise<IceServersView> {
    const user = await this.verifier.verify(authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined);
    // Credentials scoped to a call are for its two parties: the calls app answers CALL_NOT_FOUND to
    // anyone else, so a stranger learns neither the credentials nor whether the call exists.
    if (query.callId) await this.calls.state(query.callId, user.userId);
    return this.iceServers.mint(user.userId, query.callId);
  }
}
