import { z } from 'zod';

export const DAY_MS = 86_400_000;
const BUCKET_MS = { day: DAY_MS, hour: DAY_MS / 24 } as const;
/** At most this many buckets per request: two years by day, a month by hour. */
export const MAX_STATS_BUCKETS = 800;

/** Statistics over [from, to), by UTC day or hour; defaults to the 30 days up to now. */
export const CallStatsQuery = z
  .strictObject({
    from: z.iso.datetime().optional().describe('Start of the range (ISO 8601); default 30 days before `to`.'),
    to: z.iso.datetime().optional().describe('End of the range, exclusive (ISO 8601); default now.'),
    bucket: z.enum(['day', 'hour']).default('day').describe('Group by UTC day or hour.'),
  })
  .superRefine((q, ctx) => {
    const { from, to } = statsRange(q);
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before `to`' });
    else if ((to.getTime() - from.getTime()) / BUCKET_MS[q.bucket] > MAX_STATS_BUCKETS)
      ctx.addIssue({ code: 'custom', path: ['from'], message: `at most ${MAX_STATS_BUCKETS} buckets per request` });
  });
export type CallStatsQuery = z.infer<typeof CallStatsQuery>;

export function statsRange(q: Pick<CallStatsQuery, 'from' | 'to'>): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : new Date();
  return { from: q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY_MS), to };
}
