import { z } from 'zod';
import { CallState, EndReason, UserId } from '#contracts';
import { decodeCallCursor } from '../history/call-cursor.js';

/** Query strings carry booleans as text; anything but `true` or `false` is refused. */
const QueryFlag = z.enum(['true', 'false']).transform((v) => v === 'true');

/** What a list, an export and the stats can be narrowed by; every filter has an index (history-filters migration). */
export const CallFilters = z.strictObject({
  userId: UserId.optional().describe('Calls the user took part in, as caller or callee.'),
  state: CallState.optional(),
  endReason: EndReason.optional(),
  from: z.iso.datetime().optional().describe('Calls created at or after this instant (ISO 8601).'),
  to: z.iso.datetime().optional().describe('Calls created before this instant (ISO 8601).'),
  minDurationMs: z.coerce.number().int().nonnegative().optional().describe('Talk time at least this long, in milliseconds.'),
  hadReconnects: QueryFlag.optional().describe('true: a party dropped and resumed at least once; false: never.'),
  relayed: QueryFlag.optional().describe("true: a party's media went through TURN (its final quality summary said relay)."),
});
export type CallFilters = z.infer<typeof CallFilters>;

/** Admin history: newest first, keyset paged on (created_at, id), so calls created meanwhile shift nothing. */
export const ListCallsQuery = CallFilters.extend({
  cursor: z
    .string()
    .max(200)
    .transform(
      (value, ctx) => decodeCallCursor(value) ?? (ctx.addIssue({ code: 'custom', message: 'is not a cursor from this API' }), z.NEVER),
    )
    .optional()
    .describe("The previous page's nextCursor."),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListCallsQuery = z.infer<typeof ListCallsQuery>;
