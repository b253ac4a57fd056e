import { BullModule } from '@nestjs/bull';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CALL_MILESTONES_QUEUE, PUSH_QUEUE, PUSH_REPORTS_QUEUE } from '#contracts';
import { bullRoot, HttpErrorFilter, JwtVerifier, LivenessController, MetricsModule, RedisHealthIndicator } from '#infra';
import { UserAuthGuard } from './auth/user-auth.guard.js';
import { CallStateController } from './calls/call-state.controller.js';
import { CarrierSweeper } from './connection/carrier-sweeper.service.js';
import { ConnectionGraceService } from './connection/connection-grace.service.js';
import { DeadlineCheck } from './deadlines/deadline-check.service.js';
import { FaultPoints } from './outbox/fault-points.service.js';
import { OutboxRelay } from './outbox/outbox-relay.service.js';
import { DevicesController } from './devices/devices.controller.js';
import { DevicesService } from './devices/devices.service.js';
import { PushDispatcher } from './push/push-dispatcher.service.js';
import { PushReportsProcessor } from './push/push-reports.processor.js';
import { PushReportsService } from './push/push-reports.service.js';
import { AdminTokenGuard } from './calls/admin-token.guard.js';
import { CallHistoryService } from './calls/call-history.service.js';
import { QualitySamplesService } from './history/quality-samples.service.js';
import { CallMilestonesProcessor } from './calls/call-milestones.processor.js';
import { CallsController } from './calls/calls.controller.js';
import { CallsService } from './calls/calls.service.js';
import { InternalCallsController } from './calls/internal-calls.controller.js';
import { InternalTokenGuard } from './calls/internal-token.guard.js';
import { redisProvider } from './calls/redis.provider.js';
import { CALLS_CONFIG, type CallsConfig } from './config/calls.config.js';
import { databaseOptions } from './database/database-options.js';
import { HealthController } from './health/health.controller.js';
import { CallsMetrics } from './metrics/calls-metrics.service.js';
import { CallExportService } from './history/call-export.service.js';
import { CallStatsService } from './history/call-stats.service.js';
import { RecentCallsController } from './history/recent-calls.controller.js';
import { RecentCallsService } from './history/recent-calls.service.js';
import { RetentionService } from './history/retention.service.js';

@Module({})
export class CallsModule {
  static forRoot(config: CallsConfig): DynamicModule {
    return {
      module: CallsModule,
      imports: [
        TypeOrmModule.forRoot(databaseOptions(config.DATABASE_URL)),
        bullRoot(config),
        BullModule.registerQueue({ name: CALL_MILESTONES_QUEUE }, { name: PUSH_QUEUE }, { name: PUSH_REPORTS_QUEUE }),
        TerminusModule,
        MetricsModule.forRoot(config.METRICS_TOKEN),
      ],
      controllers: [
        InternalCallsController,
        CallsController,
        CallStateController,
        RecentCallsController,
        DevicesController,
        HealthController,
        LivenessController,
      ],
      providers: [
        { provide: CALLS_CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        CallsMetrics,
        redisProvider,
        RedisHealthIndicator,
        FaultPoints,
        OutboxRelay,
        CallsService,
        CallHistoryService,
        QualitySamplesService,
        DeadlineCheck,
        CallMilestonesProcessor,
        ConnectionGraceService,
        CarrierSweeper,
        InternalTokenGuard,
        AdminTokenGuard,
        UserAuthGuard,
        { provide: JwtVerifier, inject: [CALLS_CONFIG], useFactory: (c: CallsConfig) => new JwtVerifier(c) },
        DevicesService,
        PushDispatcher,
        PushReportsService,
        PushReportsProcessor,
        CallStatsService,
        CallExportService,
        RecentCallsService,
        RetentionService,
      ],
    };
  }
}
