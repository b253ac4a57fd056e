import type { Queue } from 'bull';
import { MetricSpecs } from './metric-specs.js';
import type { MetricsRegistry } from './metrics-registry.js';

const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * Depth and age of the Bull queues an app consumes, read at scrape time: per queue one
 * getJobCounts (a few O(1) Redis commands) and one peek at the oldest waiting job.
 */
export function registerQueueMetrics(metrics: MetricsRegistry, queues: Queue[]): void {
  metrics.gauge(MetricSpecs.queueJobs, async (gauge) => {
    const counts = await Promise.all(queues.map((q) => q.getJobCounts()));
    queues.forEach((q, i) => {
      for (const state of STATES) gauge.set({ queue: q.name, state }, counts[i]![state]);
    });
  });
  metrics.gauge(MetricSpecs.queueOldestAge, async (gauge) => {
    const now = Date.now();
    const oldest = await Promise.all(queues.map((q) => q.getJobs(['waiting'], 0, 0, true)));
    queues.forEach((q, i) => {
      const job = oldest[i]![0];
      gauge.set({ queue: q.name }, job ? Math.max(0, now - job.timestamp) / 1000 : 0);
    });
  });
}
