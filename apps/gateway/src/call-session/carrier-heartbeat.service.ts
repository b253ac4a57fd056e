import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { hostname } from 'node:os';
import { carrierKey } from '#contracts';
import { type RedisClient, type RedisCommand, runEach } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { GATEWAY_REDIS } from '../health/gateway-redis.provider.js';
import type { SignalingNamespace, SignalingSocket } from '../signaling/signaling-socket.js';

/**
 * Says "these connections still carry their calls" with keys that lapse unless refreshed. A node
 * that is SIGKILLed reports nothing; its keys lapse and the calls app starts the parties' graces
 * itself, so the peer is told and a party that never returns does not leave a call open forever.
 * Keys are per connection, and the calls app checks the one it recorded as current, so a stale
 * socket's beats can neither stand in for its party nor overwrite anything.
 */
@Injectable()
export class CarrierHeartbeat implements OnApplicationShutdown {
  private readonly node = `${hostname()}:${process.pid}`;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(GATEWAY_REDIS) private readonly redis: RedisClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  start(ns: SignalingNamespace): void {
    this.timer = setInterval(() => void this.beatAll(ns), this.config.CARRIER_TTL_MS / 3).unref();
  }

  async beat(socket: SignalingSocket, callId: string): Promise<void> {
    await this.redis.set(carrierKey(this.config.REDIS_PREFIX, callId, socket.id), this.node, 'PX', this.config.CARRIER_TTL_MS);
  }

  private async beatAll(ns: SignalingNamespace): Promise<void> {
    const beats: RedisCommand[] = [];
    for (const socket of ns.sockets.values())
      for (const callId of Object.keys(socket.data.calls ?? {}))
        beats.push(['set', carrierKey(this.config.REDIS_PREFIX, callId, socket.id), this.node, 'PX', this.config.CARRIER_TTL_MS]);
    await runEach(this.redis, beats).catch(() => undefined);
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
