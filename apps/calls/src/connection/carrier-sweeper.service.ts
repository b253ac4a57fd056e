import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { carrierKey, carrierWatchKey } from '#contracts';
import { type RedisClient, runEach } from '#infra';
import { Call } from '../calls/call.entity.js';
import { REDIS } from '../calls/redis.provider.js';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';
import { ConnectionGraceService } from './connection-grace.service.js';

/**
 * Finds parties whose gateway node died without a word (SIGKILL, a crashed host): the carrier key of
 * their current connection lapsed although the call says they are connected. Each such party enters
 * its reconnection grace, exactly as if its node had seen the socket drop. Idempotent, so every
 * calls instance may sweep.
 *
 * A Redis that lost its data has no carrier keys at all, which proves nothing: the watch key is
 * gone too, and sweeping pauses for one carrier TTL while the gateways write their keys again.
 */
@Injectable()
export class CarrierSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CarrierSweeper.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: RedisClient,
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
    if (!(await this.carriersTrustworthy())) return;
    // Only calls answered long enough ago for their carriers to have beaten at least once.
    const settled = new Date(Date.now() - this.config.CARRIER_TTL_MS);
    const calls = await this.dataSource
      .getRepository(Call)
      .createQueryBuilder('c')
      .where("c.state = 'active' AND c.answered_at < :settled", { settled })
      .andWhere('(c.caller_disconnected_at IS NULL OR c.callee_disconnected_at IS NULL)')
      .getMany();
    const parties = calls.flatMap((call) => [
      ...(call.callerDisconnectedAt || !call.callerCarrier
        ? []
        : [{ call, userId: call.callerId, deviceId: call.callerDeviceId, carrier: call.callerCarrier }]),
      ...(call.calleeDisconnectedAt || !call.calleeCarrier
        ? []
        : [{ call, userId: call.calleeId, deviceId: call.answeredDeviceId!, carrier: call.calleeCarrier }]),
    ]);
    if (parties.length === 0) return;
    // Parties of different calls lie in different slots on a cluster, where one MGET cannot span them.
    const alive = await runEach(
      this.redis,
      parties.map((p) => ['get', carrierKey(this.config.REDIS_PREFIX, p.call.id, p.carrier)]),
    );
    for (const [i, party] of parties.entries()) {
      if (alive[i]) continue;
      this.logger.warn({
        msg: 'no gateway carries this party; starting its reconnection grace',
        callId: party.call.id,
        userId: party.userId,
      });
      await this.graces
        .disconnected(party.call.id, { userId: party.userId, deviceId: party.deviceId }, party.carrier)
        .catch(() => undefined);
    }
  }

  /** False until carrier keys have had a full TTL to be written since this Redis dataset began. */
  private async carriersTrustworthy(): Promise<boolean> {
    const now = Date.now();
    // One round trip: set the watch key unless it exists, and learn since when it has existed.
    const previous = await this.redis.set(carrierWatchKey(this.config.REDIS_PREFIX), String(now), 'NX', 'GET');
    if (previous === null) this.logger.log(`carrier keys are new in this Redis; sweeping from ${this.config.CARRIER_TTL_MS} ms on`);
    return now - (previous === null ? now : Number(previous)) >= this.config.CARRIER_TTL_MS;
  }
}
