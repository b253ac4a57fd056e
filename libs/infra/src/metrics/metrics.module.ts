import { type DynamicModule, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsRegistry } from './metrics-registry.js';

/** GET /metrics and the app's registry, for its own metrics services to register on. */
@Module({})
export class MetricsModule {
  /** `token`: METRICS_TOKEN, the bearer a scraper must present when set. */
  static forRoot(token: string | undefined): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [{ provide: MetricsRegistry, useFactory: () => new MetricsRegistry(token) }],
      exports: [MetricsRegistry],
    };
  }
}
