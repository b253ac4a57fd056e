import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import type { Counter, Histogram } from 'prom-client';
import { PUSH_QUEUE, type PushReportJob } from '#contracts';
import { MetricSpecs, MetricsRegistry, registerQueueMetrics } from '#infra';

/** The notifier's series: every push attempt by outcome, APNs latency, and the push queue. */
@Injectable()
export class NotifierMetrics {
  private readonly pushes: Counter<'kind' | 'outcome'>;
  private readonly latency: Histogram<'kind'>;

  constructor(metrics: MetricsRegistry, @InjectQueue(PUSH_QUEUE) queue: Queue) {
    this.pushes = metrics.counter(MetricSpecs.pushes);
    this.latency = metrics.histogram(MetricSpecs.pushLatency);
    registerQueueMetrics(metrics, [queue]);
  }

  attempted(report: PushReportJob): void {
    this.pushes.labels(report.kind, report.outcome).inc();
    if (report.latencyMs !== null) this.latency.labels(report.kind).observe(report.latencyMs / 1000);
  }
}
