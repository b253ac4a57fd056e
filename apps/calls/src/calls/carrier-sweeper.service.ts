import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { carrierKey } from '#contracts';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';
import { Call } from './call.entity.js';
import { ConnectionGraceService } from './connection-grace.service.js';
import { REDIS } from './redis.provider.js';

/**
 * Finds parties whose gateway node died without a word (SIGKILL, a crashed host): their carrier key
 * lapsed although the call says they are connected. Each such party enters its reconnection grace,
 * exactly as if its node had seen the socket drop. Idempotent, so every calls instance may sweep.
 */
@Injectable()
export class CarrierSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CarrierSweeper.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CALLS_CONFIG) private readonly config: CallsConfig,
    private readonly graces: ConnectionGraceService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.sweep().catch((e: unknown) => this.logger.warn(`sweep failed: ${String(e)}`)),
      this.config.CARRIER_TTL_MS / 3,
    ).unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async sweep(): Promise<void> {
    // Only calls answered long enough ago for their carriers to have beaten at least once.
    const settled = new Date(Date.now() - this.config.CARRIER_TTL_MS);
    const calls = await this.dataSource
      .getRepository(Call)
      .createQueryBuilder('c')
      .where("c.state = 'active' AND c.answered_at < :settled", { settled })
      .andWhere('(c.caller_disconnected_at IS NULL OR c.callee_disconnected_at IS NULL)')
      .getMany();
    if (calls.length === 0) return;
    const parties = calls.flatMap((call) => [
      ...(call.callerDisconnectedAt ? [] : [{ call, userId: call.callerId, deviceId: call.callerDeviceId }]),
      ...(call.calleeDisconnectedAt ? [] : [{ call, userId: call.calleeId, deviceId: call.answeredDeviceId! }]),
    ]);
    const alive = await this.redis.mget(parties.map((p) => carrierKey(this.config.REDIS_PREFIX, p.call.id, p.userId)));
    for (const [i, party] of parties.entries()) {
      if (alive[i]) continue;
      this.logger.warn(`no gateway carries ${party.userId} in call ${party.call.id}; starting its reconnection grace`);
      await this.graces.disconnected(party.call.id, { userId: party.userId, deviceId: party.deviceId }).catch(() => undefined);
    }
  }
}
