import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { ServerEventName } from '#contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { GATEWAY_REDIS } from '../health/gateway-redis.provider.js';

/** A call's messages outlive a reconnect by far; a day-long call is not a thing on a phone. */
const RETENTION_MS = 6 * 3600 * 1000;
/** ICE candidates dominate; a call rarely passes a few hundred messages. */
const MAX_MESSAGES = 5000;

// One round trip, atomically: the recipient's next seq in this call, and the message stored under it.
const APPEND = `
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], seq .. '-0', 'event', ARGV[2], 'payload', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return seq`;

export interface OutboxMessage {
  seq: number;
  event: ServerEventName;
  payload: Record<string, unknown>;
}

type AppendingRedis = Redis & {
  outboxAppend(seqKey: string, streamKey: string, to: string, event: string, payload: string, max: number, ttl: number): Promise<number>;
};

/**
 * Every message relayed to a party in a call gets that party's next sequence number in the call
 * (gapless, so a client can tell a missing message from one it sent itself) and is kept in a Redis
 * stream, so a party that was away replays exactly what it missed, whichever node it comes back to.
 * Socket.IO's own recovery is per socket, unsupported on the Redis pub/sub adapter, and lost with a
 * dead node; this is per call.
 */
@Injectable()
export class CallOutbox {
  private readonly redis: AppendingRedis;

  constructor(
    @Inject(GATEWAY_REDIS) redis: Redis,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    redis.defineCommand('outboxAppend', { numberOfKeys: 2, lua: APPEND });
    this.redis = redis as AppendingRedis;
  }

  async append(callId: string, to: string, event: ServerEventName, payload: Record<string, unknown>): Promise<number> {
    return Number(
      await this.redis.outboxAppend(
        this.key(callId, 'seq', to),
        this.key(callId, 'outbox', to),
        to,
        event,
        JSON.stringify(payload),
        MAX_MESSAGES,
        RETENTION_MS,
      ),
    );
  }

  /** Messages for `to` after `lastSeq`, in order. */
  async since(callId: string, to: string, lastSeq: number): Promise<OutboxMessage[]> {
    const entries = await this.redis.xrange(this.key(callId, 'outbox', to), `${lastSeq + 1}-0`, '+');
    return entries.map(([id, fields]) => {
      const field = (name: string) => fields[fields.indexOf(name) + 1]!;
      return { seq: Number(id.split('-')[0]), event: field('event') as ServerEventName, payload: JSON.parse(field('payload')) };
    });
  }

  private key(callId: string, kind: 'seq' | 'outbox', to: string): string {
    return `${this.config.REDIS_PREFIX}call:${callId}:${kind}:${to}`;
  }
}
