import { Body, Controller, Get, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AdminCallView,
  type CallDetailView,
  CallDetailView as CallDetailSchema,
  CallIdParam,
  type CallPage,
  CallPage as CallPageSchema,
  type CallStats,
  CallStats as CallStatsSchema,
  type CallView,
  CallView as CallViewSchema,
  EndCallRequest,
  ErrorCode,
  type QualitySamplePage,
  QualitySamplePage as QualitySamplePageSchema,
} from '#contracts';
import { ApiErrors, openApiSchema, ZodParams, ZodQuery, ZodValidationPipe } from '#infra';
import { CallExportService } from '../history/call-export.service.js';
import { CallStatsQuery } from '../history/call-stats.query.js';
import { CallStatsService } from '../history/call-stats.service.js';
import { ExportCallsQuery } from '../history/export-calls.query.js';
import { QualitySamplesQuery } from '../history/quality-samples.query.js';
import { QualitySamplesService } from '../history/quality-samples.service.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { CallDetailQuery } from './call-detail.query.js';
import { CallHistoryService } from './call-history.service.js';
import { CallsService } from './calls.service.js';
import { ListCallsQuery } from './list-calls.query.js';

const EXPORT_TYPES = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson' } as const;

/** The admin API over call history. Fixed paths come before `:id`, which would otherwise take them. */
@ApiTags('calls')
@ApiBearerAuth()
@ApiErrors(ErrorCode.UNAUTHORIZED, ErrorCode.VALIDATION_FAILED)
@UseGuards(AdminTokenGuard)
@Controller('calls')
export class CallsController {
  constructor(
    private readonly history: CallHistoryService,
    private readonly statistics: CallStatsService,
    private readonly exports: CallExportService,
    private readonly calls: CallsService,
    private readonly samples: QualitySamplesService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Call history, newest first, filtered; keyset paged with `cursor` = the previous nextCursor.' })
  @ApiOkResponse({ schema: openApiSchema(CallPageSchema) })
  list(@ZodQuery(ListCallsQuery) query: ListCallsQuery): Promise<CallPage> {
    return this.history.list(query);
  }

  @Get('stats')
  @ApiOperation({ summary: 'Statistics over a time range by UTC day or hour, with the range total.' })
  @ApiOkResponse({ schema: openApiSchema(CallStatsSchema) })
  stats(@ZodQuery(CallStatsQuery) query: CallStatsQuery): Promise<CallStats> {
    return this.statistics.stats(query);
  }

  @Get('export')
  @ApiOperation({ summary: 'Every call matching the list filters, newest first, streamed as CSV or NDJSON.' })
  @ApiProduces(EXPORT_TYPES.csv, EXPORT_TYPES.ndjson)
  @ApiOkResponse({
    description: 'CSV: a header line, then one call per line. NDJSON: one call per line.',
    schema: openApiSchema(AdminCallView),
  })
  async export(@ZodQuery(ExportCallsQuery) query: ExportCallsQuery, @Res() res: Response): Promise<void> {
    const { format, ...filters } = query;
    res.setHeader('content-type', EXPORT_TYPES[format]);
    res.setHeader('content-disposition', `attachment; filename="calls.${format}"`);
    // A failure mid-stream cannot change the status any more: the response is cut short instead.
    await pipeline(Readable.from(this.exports.lines(filters, format)), res).catch(() => res.destroy());
  }

  @Get(':id')
  @ApiErrors(ErrorCode.CALL_NOT_FOUND)
  @ApiOperation({ summary: 'One call: a page of its timeline, and its quality samples summarised per party.' })
  @ApiOkResponse({ schema: openApiSchema(CallDetailSchema) })
  get(@ZodParams(CallIdParam) params: { id: string }, @ZodQuery(CallDetailQuery) query: CallDetailQuery): Promise<CallDetailView> {
    return this.history.get(params.id, query);
  }

  @Get(':id/quality-samples')
  @ApiErrors(ErrorCode.CALL_NOT_FOUND)
  @ApiOperation({ summary: "One call's quality samples as the parties sent them, oldest first; keyset paged with `cursor`." })
  @ApiOkResponse({ schema: openApiSchema(QualitySamplePageSchema) })
  qualitySamples(
    @ZodParams(CallIdParam) params: { id: string },
    @ZodQuery(QualitySamplesQuery) query: QualitySamplesQuery,
  ): Promise<QualitySamplePage> {
    return this.samples.page(params.id, query);
  }

  @Post(':id/end')
  @HttpCode(200)
  @ApiErrors(ErrorCode.CALL_NOT_FOUND, ErrorCode.CALL_ALREADY_ENDED)
  @ApiOperation({
    summary: 'End an open call (one stuck open): the parties get call:ended (ended-by-admin), the reason goes on its timeline.',
  })
  @ApiBody({ schema: openApiSchema(EndCallRequest) })
  @ApiOkResponse({ schema: openApiSchema(CallViewSchema) })
  end(
    @ZodParams(CallIdParam) params: { id: string },
    @Body(new ZodValidationPipe(EndCallRequest)) body: EndCallRequest,
  ): Promise<CallView> {
    return this.calls.endByAdmin(params.id, body.reason);
  }
}
