import { z } from 'zod';
import { CallState, EndReason, UserId } from '#contracts';

/** Admin history filters. Newest first; page with `before` = the last item's createdAt. */
export const ListCallsQuery = z.strictObject({
  userId: UserId.optional(),
  state: CallState.optional(),
  endReason: EndReason.optional(),
  before: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListCallsQuery = z.infer<typeof ListCallsQuery>;
