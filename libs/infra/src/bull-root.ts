import { BullModule } from '@nestjs/bull';
import type { DynamicModule } from '@nestjs/common';

/** Every app's Bull connection: the shared Redis, under the deployment's key prefix. */
export const bullRoot = (config: { REDIS_URL: string; REDIS_PREFIX: string }): DynamicModule =>
  BullModule.forRoot({ redis: config.REDIS_URL, prefix: `${config.REDIS_PREFIX}bull` });
