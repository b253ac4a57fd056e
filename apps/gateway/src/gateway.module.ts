import { BullModule } from '@nestjs/bull';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { CALL_MILESTONES_QUEUE } from '#contracts';
import { HttpErrorFilter, RedisHealthIndicator } from '#infra';
import { JwtVerifier } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/gateway.config.js';
import { DevTokensController } from './dev/dev-tokens.controller.js';
import { CallsHealthIndicator } from './health/calls-health.indicator.js';
import { gatewayRedisProvider } from './health/gateway-redis.provider.js';
import { HealthController } from './health/health.controller.js';
import { CallEventsSubscriber } from './signaling/call-events.subscriber.js';
import { CallsClient } from './signaling/calls.client.js';
import { MilestoneReporter } from './signaling/milestone-reporter.service.js';
import { SignalingGateway } from './signaling/signaling.gateway.js';
import { SignalingService } from './signaling/signaling.service.js';
import { PresenceService } from './signaling/presence.service.js';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        BullModule.forRoot({ redis: config.REDIS_URL, prefix: `${config.REDIS_PREFIX}bull` }),
        BullModule.registerQueue({ name: CALL_MILESTONES_QUEUE }),
        TerminusModule,
      ],
      controllers: [HealthController, ...(config.DEV_TOKENS ? [DevTokensController] : [])],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        gatewayRedisProvider,
        RedisHealthIndicator,
        CallsHealthIndicator,
        { provide: JwtVerifier, inject: [GATEWAY_CONFIG], useFactory: (c: GatewayConfig) => new JwtVerifier(c) },
        CallsClient,
        MilestoneReporter,
        CallEventsSubscriber,
        SignalingService,
        PresenceService,
        SignalingGateway,
      ],
    };
  }
}
