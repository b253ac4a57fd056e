import { z } from 'zod';

/** One call in detail: its timeline a page at a time, quality samples summarised unless asked raw. */
export const CallDetailQuery = z.strictObject({
  after: z.coerce.number().int().nonnegative().default(0).describe('Timeline entries after this seq (the previous nextTimelineSeq).'),
  limit: z.coerce.number().int().min(1).max(1000).default(500).describe('Timeline entries per page.'),
  quality: z
    .enum(['summary', 'raw'])
    .default('summary')
    .describe('summary: per-party percentiles only; raw: every quality sample on the timeline as well.'),
});
export type CallDetailQuery = z.infer<typeof CallDetailQuery>;
