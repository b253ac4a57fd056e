import { BullModule } from '@nestjs/bull';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { PUSH_BACKOFF_STRATEGY, PUSH_QUEUE, PUSH_QUEUE_SETTINGS, PUSH_REPORTS_QUEUE, pushBackoffMs } from '#contracts';
import { bullRoot, HttpErrorFilter, LivenessController, MetricsModule, RedisHealthIndicator } from '#infra';
import { ApnsClientAdapter } from './apns-push/apns-client.adapter.js';
import { DeliveryMarks } from './apns-push/delivery-marks.service.js';
import { PushReporter } from './apns-push/push-reporter.service.js';
import { PushProcessor } from './apns-push/push.processor.js';
import { PushService } from './apns-push/push.service.js';
import { NOTIFIER_CONFIG, type NotifierConfig } from './config/notifier.config.js';
import { HealthController } from './health/health.controller.js';
import { NotifierMetrics } from './metrics/notifier-metrics.service.js';

@Module({})
export class NotifierModule {
  static forRoot(config: NotifierConfig): DynamicModule {
    return {
      module: NotifierModule,
      imports: [
        bullRoot(config),
        BullModule.registerQueue(
          { name: PUSH_QUEUE, settings: { ...PUSH_QUEUE_SETTINGS, backoffStrategies: { [PUSH_BACKOFF_STRATEGY]: pushBackoffMs } } },
          { name: PUSH_REPORTS_QUEUE },
        ),
        TerminusModule,
        MetricsModule.forRoot(config.METRICS_TOKEN),
      ],
      controllers: [HealthController, LivenessController],
      providers: [
        { provide: NOTIFIER_CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        NotifierMetrics,
        ApnsClientAdapter,
        RedisHealthIndicator,
        DeliveryMarks,
        PushReporter,
        PushService,
        PushProcessor,
      ],
    };
  }
}
