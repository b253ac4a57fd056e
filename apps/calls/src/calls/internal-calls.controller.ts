import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiExcludeController } from '@nestjs/swagger';
import { z } from 'zod';
import {
  CallAction,
  CallActionRequest,
  IceStateRequest,
  type PushLogEntry,
  UserId,
  CallIdParam,
  type CallEventsPage,
  CallEventsQuery,
  type CallStateView,
  type CallView,
  CreateCallRequest,
  type CreateCallResponse,
} from '#contracts';
import { openApiSchema, ZodParams, ZodQuery, ZodValidationPipe } from '#infra';
import { ConnectionGraceService } from '../connection/connection-grace.service.js';
import { OutboxRelay } from '../outbox/outbox-relay.service.js';
import { CallHistoryService } from './call-history.service.js';
import { CallsService } from './calls.service.js';
import { InternalTokenGuard } from './internal-token.guard.js';

const ActionParams = CallIdParam.extend({ action: CallAction });
const UserParam = z.strictObject({ userId: UserId });
const StateParams = CallIdParam.extend({ userId: UserId });

/** Lifecycle transitions requested by the gateway on behalf of an authenticated socket. */
@ApiExcludeController()
@UseGuards(InternalTokenGuard)
@Controller('internal')
export class InternalCallsController {
  constructor(
    private readonly calls: CallsService,
    private readonly graces: ConnectionGraceService,
    private readonly history: CallHistoryService,
    private readonly outbox: OutboxRelay,
  ) {}

  /** For a gateway whose event subscription was lost: what was committed meanwhile. */
  @Get('call-events')
  events(@ZodQuery(CallEventsQuery) query: CallEventsQuery): Promise<CallEventsPage> {
    return this.outbox.eventsSince(new Date(query.since), query.after);
  }

  @Get('calls/:id/state/:userId')
  state(@ZodParams(StateParams) params: { id: string; userId: string }): Promise<CallStateView> {
    return this.history.stateFor(params.id, params.userId);
  }

  @Get('calls/users/:userId/pushes')
  pushes(@ZodParams(UserParam) params: { userId: string }): Promise<PushLogEntry[]> {
    return this.history.pushesFor(params.userId);
  }

  @Post('calls')
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(CreateCallRequest) })
  create(@Body(new ZodValidationPipe(CreateCallRequest)) body: CreateCallRequest): Promise<CreateCallResponse> {
    return this.calls.create(body);
  }

  @Post('calls/:id/ice-state')
  @HttpCode(200)
  iceState(
    @ZodParams(CallIdParam) params: { id: string },
    @Body(new ZodValidationPipe(IceStateRequest)) body: IceStateRequest,
  ): Promise<CallView> {
    return this.graces.iceState(params.id, body.actor, body.state);
  }

  @Post('calls/:id/disconnected')
  @HttpCode(200)
  disconnected(
    @ZodParams(CallIdParam) params: { id: string },
    @Body(new ZodValidationPipe(CallActionRequest)) body: CallActionRequest,
  ): Promise<CallView> {
    return this.graces.disconnected(params.id, body.actor, body.carrierId);
  }

  @Post('calls/:id/resume')
  @HttpCode(200)
  resume(
    @ZodParams(CallIdParam) params: { id: string },
    @Body(new ZodValidationPipe(CallActionRequest)) body: CallActionRequest,
  ): Promise<CallView> {
    return this.graces.resumed(params.id, body.actor, body.carrierId);
  }

  @Post('calls/:id/:action')
  @HttpCode(200)
  act(
    @ZodParams(ActionParams) params: { id: string; action: CallAction },
    @Body(new ZodValidationPipe(CallActionRequest)) body: CallActionRequest,
  ): Promise<CallView> {
    return this.calls.act(params.id, params.action, body.actor, body.carrierId);
  }
}
