import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import type { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { CALL_MILESTONES_QUEUE, type CallEvent, CallState, PUSH_REPORTS_QUEUE } from '#contracts';
import { MetricSpecs, MetricsRegistry, registerQueueMetrics } from '#infra';

const OPEN_STATES = CallState.options.filter((s) => s !== 'ended');

/**
 * The calls app's series. Ends and graces are counted from the events a transaction committed
 * (OutboxRelay), so a rolled-back transition counts nothing; open calls are counted in Postgres at
 * scrape time, on the partial index of open calls (a few rows, whatever the history holds).
 */
@Injectable()
export class CallsMetrics {
  private readonly ended: Counter<'reason'>;
  private readonly graces: Counter<'grace' | 'outcome'>;

  constructor(
    metrics: MetricsRegistry,
    @InjectDataSource() dataSource: DataSource,
    @InjectQueue(CALL_MILESTONES_QUEUE) milestones: Queue,
    @InjectQueue(PUSH_REPORTS_QUEUE) reports: Queue,
  ) {
    metrics.gauge(MetricSpecs.openCalls, async (gauge) => {
      const rows: { state: string; n: number }[] = await dataSource.query(
        `SELECT state, count(*)::int AS n FROM calls WHERE state <> 'ended' GROUP BY state`,
      );
      for (const state of OPEN_STATES) gauge.set({ state }, rows.find((r) => r.state === state)?.n ?? 0);
    });
    this.ended = metrics.counter(MetricSpecs.endedCalls);
    this.graces = metrics.counter(MetricSpecs.graces);
    registerQueueMetrics(metrics, [milestones, reports]);
  }

  committed(events: readonly CallEvent[]): void {
    for (const event of events) {
      if (event.type === 'reconnecting') this.graces.labels('reconnect', 'started').inc();
      if (event.type !== 'ended' || !event.call.endReason) continue;
      this.ended.labels(event.call.endReason).inc();
      if (event.call.endReason === 'connection-lost') this.graces.labels('reconnect', 'expired').inc();
      if (event.call.endReason === 'ice-failed') this.graces.labels('media', 'expired').inc();
    }
  }

  /** Media went down on an answered call: its media grace runs from now. */
  mediaGraceStarted(): void {
    this.graces.labels('media', 'started').inc();
  }
}
