import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { type CallEvent, callEventsChannel } from '#contracts';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';
import { REDIS } from './redis.provider.js';

/** Tells every gateway node about a committed transition. Called only after the commit. */
@Injectable()
export class CallEventsPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(CallEventsPublisher.name);
  private readonly channel: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CALLS_CONFIG) config: CallsConfig,
  ) {
    this.channel = callEventsChannel(config.REDIS_PREFIX);
  }

  async publish(events: CallEvent[]): Promise<void> {
    for (const event of events) {
      try {
        await this.redis.publish(this.channel, JSON.stringify(event));
      } catch (error) {
        // The transition is committed and stays the truth; clients resync from the call's state.
        this.logger.error(`could not publish ${event.type} for call ${event.call.id}: ${String(error)}`);
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
