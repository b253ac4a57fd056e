import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricSpec } from './metric-specs.js';

/** A scrape-time reading that does not answer within this long is skipped, so a scrape stays bounded. */
export const COLLECT_TIMEOUT_MS = 1_000;

/**
 * One app's metrics. A registry of its own, not prom-client's global one, so a test that boots a
 * module twice in one process does not register a metric twice. Process metrics (CPU, memory,
 * event-loop lag, GC) come with it.
 */
export class MetricsRegistry {
  readonly registry = new Registry();

  /** `token`, when set, is the bearer a scraper must present (METRICS_TOKEN). */
  constructor(readonly token?: string) {
    collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(spec: MetricSpec<L>): Counter<L> {
    return new Counter({ name: spec.name, help: spec.help, labelNames: spec.labelNames, registers: [this.registry] });
  }

  histogram<L extends string>(spec: MetricSpec<L>): Histogram<L> {
    return new Histogram({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames,
      buckets: spec.buckets,
      registers: [this.registry],
    });
  }

  /** `read` runs at scrape time; if it fails or outlasts COLLECT_TIMEOUT_MS the last values stay. */
  gauge<L extends string>(spec: MetricSpec<L>, read?: (gauge: Gauge<L>) => Promise<void> | void): Gauge<L> {
    return new Gauge<L>({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames,
      registers: [this.registry],
      ...(read ? { collect: bounded(read) } : {}),
    });
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

function bounded<L extends string>(read: (gauge: Gauge<L>) => Promise<void> | void) {
  return async function (this: Gauge<L>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, COLLECT_TIMEOUT_MS)));
    try {
      await Promise.race([Promise.resolve(read(this)).catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
