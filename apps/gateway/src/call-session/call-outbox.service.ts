import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { ServerEventName } from '#contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { GATEWAY_REDIS } from '../health/gateway-redis.provider.js';

/** A call's messages outlive a reconnect by far; a day-long call is not a thing on a phone. */
const RETENTION_MS = 6 * 3600 * 1000;
/** ICE candidates dominate; a call rarely passes a few hundred messages. */
const MAX_MESSAGES = 5000;

// The store's epoch: when this Redis dataset first held relays, by Redis' own clock (ms). A Redis
// that comes back empty gets a new, larger one, so clients can tell restarted numbering from
// duplicates. `key` is the epoch key's index in KEYS.
const epochOf = (key: number) => `
local epoch = redis.call('GET', KEYS[${key}])
if not epoch then
  local t = redis.call('TIME')
  epoch = tostring(t[1] * 1000 + math.floor(t[2] / 1000))
  redis.call('SET', KEYS[${key}], epoch)
end`;

const EPOCH = `${epochOf(1)}
return epoch`;

// One round trip, atomically: the recipient's next seq in this call, the message stored under it,
// and the epoch the numbering belongs to.
const APPEND = `${epochOf(3)}
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], seq .. '-0', 'event', ARGV[2], 'payload', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {seq, epoch}`;

export interface OutboxMessage {
  seq: number;
  event: ServerEventName;
  payload: Record<string, unknown>;
}

/** What a resume gets back: the messages to replay, and whether they are all it missed. */
export interface Replay {
  epoch: number;
  messages: OutboxMessage[];
  complete: boolean;
}

type AppendingRedis = Redis & {
  outboxAppend(
    seqKey: string,
    streamKey: string,
    epochKey: string,
    to: string,
    event: string,
    payload: string,
    max: number,
    ttl: number,
  ): Promise<[number, string]>;
  outboxEpoch(epochKey: string): Promise<string>;
};

/**
 * Every message relayed to a party in a call gets that party's next sequence number in the call
 * (gapless within an epoch, so a client can tell a missing message from one it sent itself) and
 * is kept in a Redis stream, so a party that was away replays exactly what it missed, whichever
 * node it comes back to. Socket.IO's own recovery is per socket, unsupported on the Redis pub/sub
 * adapter, and lost with a dead node; this is per call.
 */
@Injectable()
export class CallOutbox implements OnApplicationBootstrap {
  private readonly logger = new Logger(CallOutbox.name);
  private readonly redis: AppendingRedis;

  constructor(
    @Inject(GATEWAY_REDIS) redis: Redis,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    redis.defineCommand('outboxAppend', { numberOfKeys: 3, lua: APPEND });
    redis.defineCommand('outboxEpoch', { numberOfKeys: 1, lua: EPOCH });
    this.redis = redis as AppendingRedis;
  }

  /**
   * The epoch is stamped as soon as a dataset is seen (at boot and whenever Redis comes back), not
   * at its first relay, so "answered before the epoch" means "answered before this store began".
   */
  onApplicationBootstrap(): void {
    const stamp = () =>
      void this.epoch().catch((error: unknown) => this.logger.warn(`could not stamp the relay store's epoch: ${String(error)}`));
    this.redis.on('ready', stamp);
    if (this.redis.status === 'ready') stamp();
  }

  async append(
    callId: string,
    to: string,
    event: ServerEventName,
    payload: Record<string, unknown>,
  ): Promise<{ seq: number; epoch: number }> {
    const [seq, epoch] = await this.redis.outboxAppend(
      this.key(callId, 'seq', to),
      this.key(callId, 'outbox', to),
      this.epochKey(),
      to,
      event,
      JSON.stringify(payload),
      MAX_MESSAGES,
      RETENTION_MS,
    );
    return { seq: Number(seq), epoch: Number(epoch) };
  }

  /**
   * What `to` missed after `lastSeq` of `epoch`. Complete only when the store provably holds all of
   * it: same epoch and nothing trimmed, or, for a client that had received nothing, a store that
   * began before the call was answered (no relay can precede the answer).
   */
  async replay(callId: string, to: string, lastSeq: number, epoch: number | undefined, answeredAt: string | null): Promise<Replay> {
    const current = await this.epoch();
    const sameStore = epoch === undefined || epoch === current;
    const after = sameStore ? lastSeq : 0;
    const messages = await this.since(callId, to, after);
    let complete = sameStore;
    if (complete && messages.length > 0) complete = messages[0]!.seq === after + 1;
    else if (complete) complete = Number((await this.redis.get(this.key(callId, 'seq', to))) ?? 0) <= after;
    if (complete && epoch === undefined && lastSeq === 0 && answeredAt !== null) complete = Date.parse(answeredAt) >= current;
    return { epoch: current, messages, complete };
  }

  private async epoch(): Promise<number> {
    return Number(await this.redis.outboxEpoch(this.epochKey()));
  }

  /** Messages for `to` after `lastSeq`, in order. */
  private async since(callId: string, to: string, lastSeq: number): Promise<OutboxMessage[]> {
    const entries = await this.redis.xrange(this.key(callId, 'outbox', to), `${lastSeq + 1}-0`, '+');
    return entries.map(([id, fields]) => {
      const field = (name: string) => fields[fields.indexOf(name) + 1]!;
      return { seq: Number(id.split('-')[0]), event: field('event') as ServerEventName, payload: JSON.parse(field('payload')) };
    });
  }

  private key(callId: string, kind: 'seq' | 'outbox', to: string): string {
    return `${this.config.REDIS_PREFIX}call:${callId}:${kind}:${to}`;
  }

  private epochKey(): string {
    return `${this.config.REDIS_PREFIX}relay-epoch`;
  }
}
