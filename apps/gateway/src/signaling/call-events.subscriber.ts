import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { CallEvent, Timeouts, callEventsChannel } from '#contracts';
import { type RedisClient, createRedis } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.service.js';
import { CallEventDelivery } from './call-event-delivery.js';
import { CallsClient } from './calls.client.js';
import type { SignalingNamespace } from './signaling-socket.js';

/** How long to remember what was delivered: redeliveries come within seconds, catch-ups within the margin. */
const REMEMBER_OPEN_MS = 15 * 60_000;
const REMEMBER_ENDED_MS = 2 * 60_000;
const CATCH_UP_RETRY_MS = 1_000;

/**
 * Listens to the calls app's committed transitions and delivers them to this node's sockets. Events
 * arrive at least once (the calls app retries from its outbox), so each call's highest delivered
 * version is remembered and anything at or below it is dropped. When the subscription is lost (Redis
 * restarted, the connection dropped), pub/sub has nothing to replay: once it is back, the events
 * committed meanwhile are fetched from the calls app and delivered the same way.
 */
@Injectable()
export class CallEventsSubscriber implements OnApplicationShutdown {
  private readonly logger = new Logger(CallEventsSubscriber.name);
  private subscriber: RedisClient | null = null;
  private ns!: SignalingNamespace;
  private readonly delivered = new Map<string, { version: number; ended: boolean; at: number }>();
  /** When the subscription was last known good, while it is lost; null while it holds. */
  private lostAt: number | null = null;
  private catchingUp = false;
  private pruneTimer: NodeJS.Timeout | null = null;

  /**
   * Each call's events are delivered one after another, in arrival order, even though delivery is
   * async; different calls don't wait for each other (an `accepted` signs resume tokens, and a
   * single queue made other calls' `created` wait behind it).
   */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly delivery: CallEventDelivery,
    private readonly calls: CallsClient,
    private readonly metrics: GatewayMetrics,
  ) {}

  async start(ns: SignalingNamespace): Promise<void> {
    this.ns = ns;
    const channel = callEventsChannel(this.config.REDIS_PREFIX);
    this.subscriber = createRedis(this.config, 'gateway-call-events', { maxRetriesPerRequest: null });
    this.subscriber.on('message', (_channel: string, message: string) => {
      const parsed = CallEvent.safeParse(JSON.parse(message));
      if (!parsed.success) return this.logger.error(`unreadable call event dropped: ${parsed.error.message}`);
      void this.enqueue(parsed.data);
    });
    this.subscriber.on('close', () => (this.lostAt ??= Date.now()));
    this.subscriber.on('ready', () => {
      if (this.lostAt === null) return;
      // Confirm the subscription is back before asking what was missed, so nothing falls in between.
      void this.subscriber!.subscribe(channel).then(
        () => this.catchUp(),
        () => undefined,
      );
    });
    await this.subscriber.subscribe(channel);
    this.pruneTimer = setInterval(() => this.prune(), 60_000).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.lostAt = null;
    await this.subscriber?.quit().catch(() => undefined);
  }

  private enqueue(event: CallEvent): Promise<void> {
    const callId = event.call.id;
    const delivered = (this.queues.get(callId) ?? Promise.resolve())
      .then(() => this.deliverOnce(event))
      .catch((error: unknown) => this.logger.error({ msg: 'call event delivery failed', type: event.type, callId, err: String(error) }))
      .finally(() => {
        if (this.queues.get(callId) === delivered) this.queues.delete(callId);
      });
    this.queues.set(callId, delivered);
    return delivered;
  }

  private async deliverOnce(event: CallEvent): Promise<void> {
    const seen = this.delivered.get(event.call.id);
    if (seen && seen.version >= event.call.version) return;
    this.delivered.set(event.call.id, { version: event.call.version, ended: event.type === 'ended', at: Date.now() });
    await this.delivery.deliver(this.ns, event);
    this.metrics.delivered(event);
  }

  /** Fetches everything committed since the loss (minus a margin) until the calls app answers. */
  private async catchUp(): Promise<void> {
    if (this.catchingUp || this.lostAt === null) return;
    this.catchingUp = true;
    const lostAt = this.lostAt;
    try {
      const since = new Date(lostAt - Timeouts.EVENT_CATCH_UP_MARGIN_MS);
      const events: CallEvent[] = [];
      for (let after = 0; ;) {
        const page = await this.calls.eventsSince(since, after);
        events.push(...page.events.map((e) => e.event));
        if (page.next === null) break;
        after = page.next;
      }
      // A call that ended meanwhile needs only its end: no ringing a phone for a call already over.
      const endedCalls = new Set(events.filter((e) => e.type === 'ended').map((e) => e.call.id));
      await Promise.all(events.filter((e) => e.type === 'ended' || !endedCalls.has(e.call.id)).map((e) => this.enqueue(e)));
      if (this.lostAt === lostAt) this.lostAt = null;
      this.logger.log(`caught up on ${events.length} call event(s) committed while the subscription was lost`);
    } catch (error) {
      this.logger.warn(`event catch-up failed, retrying in ${CATCH_UP_RETRY_MS} ms: ${String(error)}`);
      setTimeout(() => void this.catchUp(), CATCH_UP_RETRY_MS).unref();
    } finally {
      this.catchingUp = false;
    }
  }

  private prune(): void {
    const now = Date.now();
    for (const [callId, seen] of this.delivered)
      if (now - seen.at > (seen.ended ? REMEMBER_ENDED_MS : REMEMBER_OPEN_MS)) this.delivered.delete(callId);
  }
}
