import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';

/** Whether this gateway reaches the calls app: without it, lifecycle requests answer CALLS_UNAVAILABLE. */
@Injectable()
export class CallsHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    try {
      const response = await fetch(new URL('/health', this.config.CALLS_URL), { signal: AbortSignal.timeout(2000) });
      return response.ok ? indicator.up() : indicator.down({ httpStatus: response.status });
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
