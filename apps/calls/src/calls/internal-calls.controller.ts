import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiExcludeController } from '@nestjs/swagger';
import { z } from 'zod';
import {
  CallAction,
  CallActionRequest,
  IceStateRequest,
  type PushLogEntry,
  UserId,
  CallIdParam,
  type CallView,
  CreateCallRequest,
  type CreateCallResponse,
} from '#contracts';
import { ZodValidationPipe, openApiSchema } from '#infra';
import { CallHistoryService } from './call-history.service.js';
import { CallsService } from './calls.service.js';
import { ConnectionGraceService } from './connection-grace.service.js';
import { InternalTokenGuard } from './internal-token.guard.js';

const ActionParams = CallIdParam.extend({ action: CallAction });
const UserParam = z.strictObject({ userId: UserId });

/** Lifecycle transitions requested by the gateway on behalf of an authenticated socket. */
@ApiExcludeController()
@UseGuards(InternalTokenGuard)
@Controller('internal/calls')
export class InternalCallsController {
  constructor(
    private readonly calls: CallsService,
    private readonly graces: ConnectionGraceService,
    private readonly history: CallHistoryService,
  ) {}

  @Get('users/:userId/pushes')
  pushes(@Param(new ZodValidationPipe(UserParam)) params: { userId: string }): Promise<PushLogEntry[]> {
    return this.history.pushesFor(params.userId);
  }

  @Post()
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(CreateCallRequest) })
  create(@Body(new ZodValidationPipe(CreateCallRequest)) body: CreateCallRequest): Promise<CreateCallResponse> {
    return this.calls.create(body);
  }

  @Post(':id/ice-state')
  @HttpCode(200)
  iceState(
    @Param(new ZodValidationPipe(CallIdParam)) params: { id: string },
    @Body(new ZodValidationPipe(IceStateRequest)) body: IceStateRequest,
  ): Promise<CallView> {
    return this.graces.iceState(params.id, body.actor, body.state);
  }

  @Post(':id/disconnected')
  @HttpCode(200)
  disconnected(
    @Param(new ZodValidationPipe(CallIdParam)) params: { id: string },
    @Body(new ZodValidationPipe(CallActionRequest)) body: CallActionRequest,
  ): Promise<CallView> {
    return this.graces.disconnected(params.id, body.actor);
  }

  @Post(':id/resume')
  @HttpCode(200)
  resume(
    @Param(new ZodValidationPipe(CallIdParam)) params: { id: string },
    @Body(new ZodValidationPipe(CallActionRequest)) body: CallActionRequest,
  ): Promise<CallView> {
    return this.graces.resumed(params.id, body.actor);
  }

  @Post(':id/:action')
  @HttpCode(200)
  act(
    @Param(new ZodValidationPipe(ActionParams)) params: { id: string; action: CallAction },
    @Body(new ZodValidationPipe(CallActionRequest)) body: CallActionRequest,
  ): Promise<CallView> {
    return this.calls.act(params.id, params.action, body.actor);
  }
}
