import { BullModule } from '@nestjs/bull';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { CALL_MILESTONES_QUEUE } from '#contracts';
import { bullRoot, HttpErrorFilter, JwtVerifier, LivenessController, MetricsModule, RedisHealthIndicator } from '#infra';
import { SocketTokens } from './auth/socket-tokens.service.js';
import { CallOutbox } from './call-session/call-outbox.service.js';
import { CarrierHeartbeat } from './call-session/carrier-heartbeat.service.js';
import { CallSessions } from './call-session/call-sessions.service.js';
import { IceServersController } from './call-session/ice-servers.controller.js';
import { IceServersService } from './call-session/ice-servers.service.js';
import { ResumeLocks } from './call-session/resume-locks.service.js';
import { ResumeTokens } from './call-session/resume-tokens.service.js';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/gateway.config.js';
import { DevPushesController } from './dev/dev-pushes.controller.js';
import { DevTokensController } from './dev/dev-tokens.controller.js';
import { CallsHealthIndicator } from './health/calls-health.indicator.js';
import { gatewayRedisProvider } from './health/gateway-redis.provider.js';
import { HealthController } from './health/health.controller.js';
import { InviteLimits } from './limits/invite-limits.service.js';
import { SocketLimits } from './limits/socket-limits.service.js';
import { GatewayMetrics } from './metrics/gateway-metrics.service.js';
import { CallEventDelivery } from './signaling/call-event-delivery.js';
import { CallEventsSubscriber } from './signaling/call-events.subscriber.js';
import { CallsClient } from './signaling/calls.client.js';
import { MilestoneReporter } from './signaling/milestone-reporter.service.js';
import { PresenceService } from './signaling/presence.service.js';
import { SignalingGateway } from './signaling/signaling.gateway.js';
import { SignalingService } from './signaling/signaling.service.js';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        bullRoot(config),
        BullModule.registerQueue({ name: CALL_MILESTONES_QUEUE }),
        TerminusModule,
        MetricsModule.forRoot(config.METRICS_TOKEN),
      ],
      controllers: [
        HealthController,
        LivenessController,
        IceServersController,
        ...(config.DEV_TOKENS ? [DevTokensController, DevPushesController] : []),
      ],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: JwtVerifier, inject: [GATEWAY_CONFIG], useFactory: (c: GatewayConfig) => new JwtVerifier(c) },
        GatewayMetrics,
        gatewayRedisProvider,
        RedisHealthIndicator,
        CallsHealthIndicator,
        CallsClient,
        MilestoneReporter,
        CallEventDelivery,
        CallEventsSubscriber,
        PresenceService,
        CallOutbox,
        CarrierHeartbeat,
        CallSessions,
        IceServersService,
        ResumeTokens,
        ResumeLocks,
        InviteLimits,
        SocketLimits,
        SocketTokens,
        SignalingService,
        SignalingGateway,
      ],
    };
  }
}
