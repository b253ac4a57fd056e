import type { DataSource } from 'typeorm';
import { TimelineType } from '#contracts';
import { bucketSql, type Histograms } from './stats-histogram.js';

/** One UTC hour of statistics, as stored in call_stats_hourly and as computed from raw rows. */
export interface HourStats {
  hour: string;
  calls: number;
  answered: number;
  reconnects: number;
  relayed: number;
  endReasons: Record<string, number>;
  histograms: Histograms;
  pushAttempts: number;
  pushDelivered: number;
}

const HOUR = (column: string) => `date_trunc('hour', ${column} AT TIME ZONE 'UTC')`;
const HOUR_TEXT = (column: string) => `to_char(${HOUR(column)}, 'YYYY-MM-DD"T"HH24:00:00.000"Z"')`;

/**
 * Each hour's counts, end reasons and histograms over the calls created in [from, to): one pass over
 * those calls (the created_at index, then their rows for the quality summaries). Values enter the
 * histograms in their reporting unit, loss in hundredths of a percent.
 */
const CALL_HOURS_SQL = `
  WITH c AS MATERIALIZED (
    SELECT ${HOUR_TEXT('created_at')} AS hour, created_at, answered_at, duration_ms, end_reason, reconnects, relayed, quality_summary
    FROM calls WHERE created_at >= $1 AND created_at < $2
  ), base AS (
    SELECT hour, count(*)::int AS calls, count(answered_at)::int AS answered, sum(reconnects)::int AS reconnects,
           (count(*) FILTER (WHERE relayed))::int AS relayed
    FROM c GROUP BY hour
  ), reasons AS (
    SELECT hour, jsonb_object_agg(end_reason, n) AS m
    FROM (SELECT hour, end_reason, count(*)::int AS n FROM c WHERE end_reason IS NOT NULL GROUP BY 1, 2) r GROUP BY hour
  ), vals AS (
    SELECT c.hour, v.metric, v.value FROM c CROSS JOIN LATERAL (VALUES
      ('setup', extract(epoch FROM c.answered_at - c.created_at)::float8 * 1000),
      ('duration', CASE WHEN c.answered_at IS NOT NULL THEN c.duration_ms::float8 END),
      ('rtt', (c.quality_summary->'caller'->>'rttMs')::float8),
      ('rtt', (c.quality_summary->'callee'->>'rttMs')::float8),
      ('loss', (c.quality_summary->'caller'->>'packetLossPct')::float8 * 100),
      ('loss', (c.quality_summary->'callee'->>'packetLossPct')::float8 * 100)) v(metric, value)
    WHERE v.value IS NOT NULL
  ), hist AS (
    SELECT hour, jsonb_object_agg(metric, m) AS m FROM (
      SELECT hour, metric, jsonb_object_agg(b, n) AS m
      FROM (SELECT hour, metric, ${bucketSql('value')} AS b, count(*)::int AS n FROM vals GROUP BY 1, 2, 3) x GROUP BY 1, 2
    ) y GROUP BY hour
  )
  SELECT base.hour, base.calls, base.answered, base.reconnects, base.relayed,
         COALESCE(reasons.m, '{}') AS "endReasons", COALESCE(hist.m, '{}') AS histograms
  FROM base LEFT JOIN reasons USING (hour) LEFT JOIN hist USING (hour)`;

/** APNs attempts with a final answer, by attempt hour: a `retrying` attempt is followed by another. */
const PUSH_HOURS_SQL = `
  SELECT ${HOUR_TEXT('at')} AS hour, (count(*) FILTER (WHERE data->>'outcome' <> 'retrying'))::int AS attempts,
         (count(*) FILTER (WHERE data->>'outcome' = 'delivered'))::int AS delivered
  FROM call_timeline WHERE type = '${TimelineType.PUSH_ATTEMPT}' AND at >= $1 AND at < $2 GROUP BY 1`;

export const emptyHour = (hour: string): HourStats => ({
  hour,
  calls: 0,
  answered: 0,
  reconnects: 0,
  relayed: 0,
  endReasons: {},
  histograms: {},
  pushAttempts: 0,
  pushDelivered: 0,
});

/** Every hour of [from, to) that has calls or pushes, computed from the raw rows. */
export async function computeHours(db: DataSource, from: Date, to: Date): Promise<HourStats[]> {
  const [calls, pushes]: [Omit<HourStats, 'pushAttempts' | 'pushDelivered'>[], { hour: string; attempts: number; delivered: number }[]] =
    await Promise.all([db.query(CALL_HOURS_SQL, [from, to]), db.query(PUSH_HOURS_SQL, [from, to])]);
  const hours = new Map(calls.map((c) => [c.hour, { ...emptyHour(c.hour), ...c }]));
  for (const p of pushes) {
    const hour = hours.get(p.hour) ?? emptyHour(p.hour);
    hours.set(p.hour, { ...hour, pushAttempts: p.attempts, pushDelivered: p.delivered });
  }
  return [...hours.values()];
}

/** The stored hours of [from, to). */
export async function storedHours(db: DataSource, from: Date, to: Date): Promise<HourStats[]> {
  return db.query(
    `SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:00:00.000"Z"') AS hour, calls, answered, reconnects, relayed,
            end_reasons AS "endReasons", histograms, push_attempts AS "pushAttempts", push_delivered AS "pushDelivered"
     FROM call_stats_hourly WHERE hour >= $1 AND hour < $2`,
    [from, to],
  );
}

/** Keeps settled hours; another instance storing the same hour first wins, with the same numbers. */
export async function storeHours(db: DataSource, hours: HourStats[]): Promise<void> {
  if (!hours.length) return;
  await db.query(
    `INSERT INTO call_stats_hourly (hour, calls, answered, reconnects, relayed, end_reasons, histograms, push_attempts, push_delivered, computed_at)
     SELECT h.hour, h.calls, h.answered, h.reconnects, h.relayed, h."endReasons", h.histograms, h."pushAttempts", h."pushDelivered", now()
     FROM jsonb_to_recordset($1::jsonb) AS h(hour timestamptz, calls int, answered int, reconnects int, relayed int, "endReasons" jsonb,
                                             histograms jsonb, "pushAttempts" int, "pushDelivered" int)
     ON CONFLICT (hour) DO NOTHING`,
    [JSON.stringify(hours)],
  );
}
