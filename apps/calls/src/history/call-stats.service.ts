import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { CallStats, StatsBucket } from '#contracts';
import { computeHours, emptyHour, type HourStats, storedHours, storeHours } from './call-stats-hours.js';
import { type CallStatsQuery, statsRange } from './call-stats.query.js';
import { addInto, type Histograms, type Metric, METRIC_SCALE, quantile } from './stats-histogram.js';

const HOUR_MS = 3_600_000;
/**
 * An hour this long past is taken as final and kept: its calls have ended and their quality
 * summaries arrived. Something that changes an older call (an admin ending one stuck for hours) is
 * not in the kept hour.
 */
const SETTLE_MS = 6 * HOUR_MS;

const floorHour = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;
const ceilHour = (t: number) => Math.ceil(t / HOUR_MS) * HOUR_MS;

const round = (v: number | null, digits = 2) => (v === null ? null : Number(v.toFixed(digits)));
const ratio = (part: number, whole: number) => (whole > 0 ? round(part / whole, 4) : null);

/**
 * Statistics over a time range by UTC day or hour, summed from hours: settled whole hours come
 * from call_stats_hourly (computed from the raw rows the first time a request needs them, then
 * kept), the rest (the last hours, and a range's partial first and last hour) from the raw rows.
 * A 30-day request then reads 720 small rows and the last few hours of calls, instead of every call
 * of the range. Percentiles come from summed log-scale histograms: within about 2.5 % of exact.
 */
@Injectable()
export class CallStatsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async stats(query: CallStatsQuery, now = new Date()): Promise<CallStats> {
    const { from, to } = statsRange(query);
    const hours = await this.hours(from, to, now);
    const key = (hour: string) => (query.bucket === 'day' ? `${hour.slice(0, 10)}T00:00:00.000Z` : hour);
    const buckets = new Map<string, HourStats>();
    const total = emptyHour('total');
    for (const hour of hours) {
      const bucket = buckets.get(key(hour.hour)) ?? emptyHour(key(hour.hour));
      buckets.set(bucket.hour, bucket);
      for (const into of [bucket, total]) addHour(into, hour);
    }
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      bucket: query.bucket,
      buckets: [...buckets.values()]
        .filter((b) => b.calls > 0 || b.pushAttempts > 0)
        .sort((a, b) => a.hour.localeCompare(b.hour))
        .map((b) => toBucket(b, b.hour)),
      total: toBucket(total, null),
    };
  }

  private async hours(from: Date, to: Date, now: Date): Promise<HourStats[]> {
    const firstWhole = ceilHour(from.getTime());
    const settledEnd = Math.min(floorHour(to.getTime()), floorHour(now.getTime() - SETTLE_MS));
    if (firstWhole >= settledEnd) return computeHours(this.dataSource, from, to);
    const [head, stored, tail] = await Promise.all([
      firstWhole > from.getTime() ? computeHours(this.dataSource, from, new Date(firstWhole)) : [],
      storedHours(this.dataSource, new Date(firstWhole), new Date(settledEnd)),
      settledEnd < to.getTime() ? computeHours(this.dataSource, new Date(settledEnd), to) : [],
    ]);
    const have = new Set(stored.map((h) => h.hour));
    const missing: string[] = [];
    for (let t = firstWhole; t < settledEnd; t += HOUR_MS) {
      const hour = new Date(t).toISOString();
      if (!have.has(hour)) missing.push(hour);
    }
    let filled: HourStats[] = [];
    if (missing.length) {
      // One pass over the span of the missing hours; hours without calls are kept too, as zeros.
      const computed = await computeHours(this.dataSource, new Date(missing[0]!), new Date(Date.parse(missing.at(-1)!) + HOUR_MS));
      const byHour = new Map(computed.map((h) => [h.hour, h]));
      filled = missing.map((hour) => byHour.get(hour) ?? emptyHour(hour));
      await storeHours(this.dataSource, filled);
    }
    return [...head, ...stored, ...filled, ...tail];
  }
}

function addHour(into: HourStats, hour: HourStats): void {
  into.calls += hour.calls;
  into.answered += hour.answered;
  into.reconnects += hour.reconnects;
  into.relayed += hour.relayed;
  into.pushAttempts += hour.pushAttempts;
  into.pushDelivered += hour.pushDelivered;
  for (const [reason, n] of Object.entries(hour.endReasons)) into.endReasons[reason] = (into.endReasons[reason] ?? 0) + n;
  addInto(into.histograms, hour.histograms);
}

function percentiles(histograms: Histograms, metric: Metric) {
  const at = (q: number) => {
    const v = quantile(histograms[metric], q);
    return v === null ? null : round(v * METRIC_SCALE[metric]);
  };
  return { p50: at(0.5), p95: at(0.95) };
}

function toBucket(h: HourStats, start: string | null): StatsBucket {
  return {
    start,
    calls: h.calls,
    answered: h.answered,
    answerRate: ratio(h.answered, h.calls),
    setupMs: percentiles(h.histograms, 'setup'),
    durationMs: percentiles(h.histograms, 'duration'),
    endReasons: h.endReasons,
    reconnectsPerCall: ratio(h.reconnects, h.calls),
    relayedShare: ratio(h.relayed, h.calls),
    pushes: { attempts: h.pushAttempts, delivered: h.pushDelivered, successRate: ratio(h.pushDelivered, h.pushAttempts) },
    rttMs: percentiles(h.histograms, 'rtt'),
    packetLossPct: percentiles(h.histograms, 'loss'),
  };
}
