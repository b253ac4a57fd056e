import { z } from 'zod';

/** One call in detail: its timeline a page at a time (its quality samples come summarised). */
export const CallDetailQuery = z.strictObject({
  after: z.coerce.number().int().nonnegative().default(0).describe('Timeline entries after this seq (the previous nextTimelineSeq).'),
  limit: z.coerce.number().int().min(1).max(1000).default(500).describe('Timeline entries per page.'),
});
export type CallDetailQuery = z.infer<typeof CallDetailQuery>;
