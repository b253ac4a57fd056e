import { z } from 'zod';
import { CallFilters } from '../calls/list-calls.query.js';

/** An export takes the list's filters, without paging: it streams every matching call. */
export const ExportCallsQuery = CallFilters.extend({
  format: z
    .enum(['csv', 'ndjson'])
    .default('ndjson')
    .describe('csv: one header line, then a line per call; ndjson: one JSON call per line.'),
});
export type ExportCallsQuery = z.infer<typeof ExportCallsQuery>;
