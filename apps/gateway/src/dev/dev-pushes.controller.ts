import { Controller, Get } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { z } from 'zod';
import { type PushLogEntry, UserId } from '#contracts';
import { ZodQuery } from '#infra';
import { CallsClient } from '../signaling/calls.client.js';

const PushesQuery = z.strictObject({ userId: UserId });

/** Development only (with DEV_TOKENS): the pushes APNs (or its sandbox) answered for a demo user. */
@ApiExcludeController()
@Controller('dev/pushes')
export class DevPushesController {
  constructor(private readonly calls: CallsClient) {}

  @Get()
  list(@ZodQuery(PushesQuery) query: z.infer<typeof PushesQuery>): Promise<PushLogEntry[]> {
    return this.calls.pushes(query.userId);
  }
}
