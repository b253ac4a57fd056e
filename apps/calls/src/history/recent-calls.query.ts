import { z } from 'zod';
import { ListCallsQuery } from '../calls/list-calls.query.js';

/** The Recents screen pages back through the signed-in user's calls; it filters nothing else. */
export const RecentCallsQuery = ListCallsQuery.pick({ cursor: true }).extend({
  limit: z.coerce.number().int().min(1).max(100).default(30),
});
export type RecentCallsQuery = z.infer<typeof RecentCallsQuery>;
