import { BullModule } from '@nestjs/bull';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { PUSH_QUEUE } from '#contracts';
import { HttpErrorFilter } from '#infra';
import { NOTIFIER_CONFIG, type NotifierConfig } from './config/notifier.config.js';
import { HealthController } from './health/health.controller.js';

@Module({})
export class NotifierModule {
  static forRoot(config: NotifierConfig): DynamicModule {
    return {
      module: NotifierModule,
      imports: [
        BullModule.forRoot({ redis: config.REDIS_URL, prefix: `${config.REDIS_PREFIX}bull` }),
        BullModule.registerQueue({ name: PUSH_QUEUE }),
        TerminusModule,
      ],
      controllers: [HealthController],
      providers: [{ provide: NOTIFIER_CONFIG, useValue: config }, { provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}
