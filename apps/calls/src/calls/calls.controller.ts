import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { type CallDetailView, CallDetailView as CallDetailSchema, CallIdParam, type CallView, CallView as CallSchema } from '#contracts';
import { ZodValidationPipe, openApiSchema } from '#infra';
import { AdminTokenGuard } from './admin-token.guard.js';
import { CallHistoryService } from './call-history.service.js';
import { ListCallsQuery } from './list-calls.query.js';

@ApiTags('calls')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('calls')
export class CallsController {
  constructor(private readonly history: CallHistoryService) {}

  @Get()
  @ApiOperation({ summary: 'Call history, newest first, filtered by user, state or end reason.' })
  @ApiOkResponse({ schema: openApiSchema(z.array(CallSchema)) })
  list(@Query(new ZodValidationPipe(ListCallsQuery)) query: ListCallsQuery): Promise<CallView[]> {
    return this.history.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One call with its whole timeline.' })
  @ApiOkResponse({ schema: openApiSchema(CallDetailSchema) })
  get(@Param(new ZodValidationPipe(CallIdParam)) params: { id: string }): Promise<CallDetailView> {
    return this.history.get(params.id);
  }
}
