import { Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import type { CallEvent, EventClass } from '#contracts';
import { MetricSpecs, MetricsRegistry } from '#infra';

export type RelayEvent = 'call:sdp' | 'call:ice-candidate' | 'call:media-state';
/** Rate limits a gateway enforces: the per-socket classes and the invite limits counted in Redis. */
export type RateLimitName = EventClass | 'invite-caller' | 'invite-pair';

type Child = ReturnType<Histogram<string>['labels']>;

/**
 * The gateway's series. Hot-path children (per relay event, per event type, per limit) are made
 * once here, so a relayed message costs one observe and no label lookup or allocation.
 */
@Injectable()
export class GatewayMetrics {
  private readonly relays: Record<RelayEvent, Child>;
  private readonly lags: Partial<Record<CallEvent['type'], Child>>;
  private readonly inviteToIncoming: Histogram<string>;
  private readonly refusedMessages: Counter<'code'>;
  private readonly refusedHandshakes: Counter<'code'>;
  private readonly rateLimits: Counter<'limit'>;
  private readonly resumes: Counter<'outcome'>;
  private sockets: () => number = () => 0;

  constructor(metrics: MetricsRegistry) {
    metrics.gauge(MetricSpecs.connectedSockets, (gauge) => gauge.set(this.sockets()));
    const relay = metrics.histogram(MetricSpecs.relayHandling);
    this.relays = {
      'call:sdp': relay.labels('sdp'),
      'call:ice-candidate': relay.labels('ice-candidate'),
      'call:media-state': relay.labels('media-state'),
    };
    const lag = metrics.histogram(MetricSpecs.eventDeliveryLag);
    this.lags = Object.fromEntries(LAGGED.map((type) => [type, lag.labels(type)]));
    this.inviteToIncoming = metrics.histogram(MetricSpecs.inviteToIncoming);
    this.refusedMessages = metrics.counter(MetricSpecs.refusedMessages);
    this.refusedHandshakes = metrics.counter(MetricSpecs.refusedHandshakes);
    this.rateLimits = metrics.counter(MetricSpecs.rateLimitHits);
    this.resumes = metrics.counter(MetricSpecs.resumes);
  }

  /** Connected sockets are read from the namespace at scrape time, not counted on each connect. */
  countSockets(read: () => number): void {
    this.sockets = read;
  }

  relayed(event: RelayEvent, startedAt: number): void {
    this.relays[event].observe((performance.now() - startedAt) / 1000);
  }

  /** `call:incoming` reached the callee's sockets here; the call row's creation is the invite's instant. */
  incomingDelivered(createdAt: string): void {
    this.inviteToIncoming.observe(secondsSince(createdAt));
  }

  delivered(event: CallEvent): void {
    const committedAt = commitInstant(event);
    if (committedAt) this.lags[event.type]?.observe(secondsSince(committedAt));
  }

  refusedMessage(code: string): void {
    this.refusedMessages.labels(code).inc();
  }

  refusedHandshake(code: string): void {
    this.refusedHandshakes.labels(code).inc();
  }

  rateLimited(limit: RateLimitName): void {
    this.rateLimits.labels(limit).inc();
  }

  resumed(outcome: string): void {
    this.resumes.labels(outcome).inc();
  }
}

/** Event types whose commit instant the call view carries (stamped in the transition's transaction). */
const LAGGED = ['created', 'accepted', 'ended', 'reconnecting'] as const;

function commitInstant(event: CallEvent): string | null {
  switch (event.type) {
    case 'created':
      return event.call.createdAt;
    case 'accepted':
      return event.call.answeredAt;
    case 'ended':
      return event.call.endedAt;
    case 'reconnecting':
      return event.userId === event.call.callerId ? event.call.callerDisconnectedAt : event.call.calleeDisconnectedAt;
    default:
      // `ringing` keeps the first device's instant and `resumed` has none: no honest lag to report.
      return null;
  }
}

/** Clocks of different hosts may disagree by a little; a negative lag is reported as none. */
const secondsSince = (iso: string) => Math.max(0, Date.now() - Date.parse(iso)) / 1000;
