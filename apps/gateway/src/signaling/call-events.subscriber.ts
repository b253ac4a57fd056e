import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { CallEvent, callEventsChannel } from '#contracts';
import { createRedis } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { CallEventDelivery } from './call-event-delivery.js';
import type { SignalingNamespace } from './signaling-socket.js';

/** Listens to the calls app's committed transitions and delivers them to this node's sockets. */
@Injectable()
export class CallEventsSubscriber implements OnApplicationShutdown {
  private readonly logger = new Logger(CallEventsSubscriber.name);
  private subscriber: Redis | null = null;

  /** Events are delivered one after another, in publish order, even though delivery is async. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly delivery: CallEventDelivery,
  ) {}

  async start(ns: SignalingNamespace): Promise<void> {
    const channel = callEventsChannel(this.config.REDIS_PREFIX);
    this.subscriber = createRedis(this.config.REDIS_URL, 'gateway-call-events', { maxRetriesPerRequest: null });
    this.subscriber.on('message', (_channel: string, message: string) => {
      const parsed = CallEvent.safeParse(JSON.parse(message));
      if (!parsed.success) return this.logger.error(`unreadable call event dropped: ${parsed.error.message}`);
      const event = parsed.data;
      this.queue = this.queue
        .then(() => this.delivery.deliver(ns, event))
        .catch((error: unknown) => this.logger.error(`delivery of ${event.type} for ${event.call.id} failed: ${String(error)}`));
    });
    await this.subscriber.subscribe(channel);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => undefined);
  }
}
