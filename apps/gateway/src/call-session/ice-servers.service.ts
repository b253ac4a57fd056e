import { Inject, Injectable } from '@nestjs/common';
import type { IceServersView } from '#contracts';
import { mintTurnCredentials } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';

/** STUN/TURN for a user's call, with TURN REST credentials scoped to that user and call. */
@Injectable()
export class IceServersService {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  mint(userId: string, callId?: string): IceServersView {
    const { TURN_SECRET, TURN_URLS, STUN_URLS, TURN_TTL_SECONDS } = this.config;
    return mintTurnCredentials({
      secret: TURN_SECRET ?? 'no-turn-configured',
      userId,
      callId,
      ttlSeconds: TURN_TTL_SECONDS,
      stunUrls: STUN_URLS,
      turnUrls: TURN_SECRET ? TURN_URLS : [],
    });
  }
}
