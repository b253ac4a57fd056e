/**
 * Log-scale histograms: a value v >= 1 falls in bucket 1 + floor(ln v / ln 1.05), anything below 1
 * in bucket 0. Each bucket spans 5 %, so a percentile read from it is within about 2.5 % of the
 * exact one, and hours sum by adding counts. Loss is kept in hundredths of a percent so that
 * fractions of a percent keep their precision.
 */
export const HISTOGRAM_RATIO = 1.05;

/** The SQL bucket of a value expression (null stays null, so it is left out). */
export const bucketSql = (value: string) => `CASE WHEN ${value} IS NULL THEN NULL WHEN ${value} < 1 THEN 0
  ELSE 1 + floor(ln(${value}) / ln(${HISTOGRAM_RATIO}))::int END`;

/** Bucket index → count. */
export type Histogram = Record<string, number>;

export const METRICS = ['setup', 'duration', 'rtt', 'loss'] as const;
export type Metric = (typeof METRICS)[number];
export type Histograms = Partial<Record<Metric, Histogram>>;

/** What one unit of a metric's histogram is worth in the unit it is reported in. */
export const METRIC_SCALE: Record<Metric, number> = { setup: 1, duration: 1, rtt: 1, loss: 0.01 };

export function addInto(into: Histograms, from: Histograms): void {
  for (const metric of METRICS) {
    const source = from[metric];
    if (!source) continue;
    const target = (into[metric] ??= {});
    for (const [bucket, count] of Object.entries(source)) target[bucket] = (target[bucket] ?? 0) + count;
  }
}

/** The bucket's representative value: 0 for bucket 0, its geometric middle otherwise. */
const valueOf = (bucket: number) => (bucket === 0 ? 0 : HISTOGRAM_RATIO ** (bucket - 0.5));

/**
 * The q-quantile (0..1) as percentile_cont computes it (linear between the two values around rank
 * q × (n - 1)), each value read as its bucket's representative.
 */
export function quantile(histogram: Histogram | undefined, q: number): number | null {
  if (!histogram) return null;
  const buckets = Object.entries(histogram)
    .map(([b, n]) => [Number(b), n] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return null;
  const valueAt = (index: number) => {
    let seen = 0;
    for (const [bucket, count] of buckets) {
      seen += count;
      if (index < seen) return valueOf(bucket);
    }
    return valueOf(buckets[buckets.length - 1]![0]);
  };
  const rank = q * (total - 1);
  const low = Math.floor(rank);
  const lower = valueAt(low);
  return rank === low ? lower : lower + (valueAt(low + 1) - lower) * (rank - low);
}
