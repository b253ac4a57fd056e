import { Inject, Injectable, Logger } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterMemory } from 'rate-limiter-flexible';
import { type ClientEventName, ErrorCode, type EventClass, RateLimitedError, eventClassOf, fail } from '#contracts';
import { memoryLimiter } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.service.js';
import type { ClientPacket, SignalingSocket } from '../signaling/signaling-socket.js';

/**
 * Per-socket budgets, one per event class, counted in this process: a socket lives on one node, so
 * the node sees all it sends. A message over budget is answered RATE_LIMITED and not processed; a
 * socket that keeps at it (RATE_LIMIT_STRIKES refusals in a window) gets `session:closing` and is
 * closed, so a flood costs the sender its connection, not the other calls on the node their latency.
 */
@Injectable()
export class SocketLimits {
  private readonly logger = new Logger(SocketLimits.name);
  private readonly classes: Record<EventClass, RateLimiterMemory>;
  private readonly strikes: RateLimiterMemory;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly metrics: GatewayMetrics,
  ) {
    this.classes = {
      lifecycle: memoryLimiter(config.RATE_LIMIT_LIFECYCLE),
      relay: memoryLimiter(config.RATE_LIMIT_RELAY),
      quality: memoryLimiter(config.RATE_LIMIT_QUALITY),
      resume: memoryLimiter(config.RATE_LIMIT_RESUME),
    };
    this.strikes = memoryLimiter(config.RATE_LIMIT_STRIKES);
  }

  /** After the packet guard: only known events that carry an ack get here. */
  check(socket: SignalingSocket, [event, ...args]: ClientPacket, next: () => void): void {
    const kind = eventClassOf(event as ClientEventName, args[0]);
    this.classes[kind].consume(socket.id).then(
      () => next(),
      (refusal: unknown) => {
        if (!(refusal instanceof RateLimiterRes)) return next(); // memory limiters do not fail; if one did, let the message through
        const ack = args.at(-1) as (response: unknown) => void;
        this.metrics.rateLimited(kind);
        this.metrics.refusedMessage(ErrorCode.RATE_LIMITED);
        ack(fail(new RateLimitedError(`${kind} messages`, refusal.msBeforeNext).toBody()));
        void this.strike(socket, kind);
      },
    );
  }

  private async strike(socket: SignalingSocket, kind: EventClass): Promise<void> {
    const over = await this.strikes.consume(socket.id).then(
      () => false,
      () => true,
    );
    if (!over || !socket.connected) return;
    const { userId, deviceId } = socket.data;
    this.logger.warn({ msg: 'closing a socket that kept exceeding its rate limit', socketId: socket.id, userId, deviceId, limit: kind });
    const error = new RateLimitedError(`refused messages (${kind})`, 0).toBody();
    socket.emit('session:closing', { error: { ...error, message: 'This socket kept exceeding its rate limits; it is being closed.' } });
    socket.disconnect(true);
  }
}
