import { Controller, Get, Header, Headers, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AppError, ErrorCode } from '#contracts';
import { ApiErrors } from '../openapi.js';
import { secretsEqual } from '../secrets.js';
import { MetricsRegistry } from './metrics-registry.js';

/**
 * Prometheus scrapes this, the same in every app. Labels hold codes and states, never ids, so it
 * reveals volumes, not people; still, with METRICS_TOKEN set it asks for `Authorization: Bearer`,
 * for a gateway whose port is public (docs/security.md).
 */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format); see docs/operations.md for each series.' })
  @ApiOkResponse({ content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrors(ErrorCode.UNAUTHORIZED)
  @Header('Cache-Control', 'no-store')
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() res: Response): Promise<void> {
    const token = this.metrics.token;
    if (token) {
      const presented = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
      if (!secretsEqual(presented, token)) throw new AppError(ErrorCode.UNAUTHORIZED, 'Missing or wrong metrics bearer token.');
    }
    res.type(this.metrics.contentType()).send(await this.metrics.render());
  }
}
