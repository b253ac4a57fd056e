import { z } from 'zod';

/** A position in one call's samples: the last row's receipt time (stored to the millisecond) and party code. */
export interface SampleCursor {
  at: string;
  party: number;
}

const FORM = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|([01])$/;

export const encodeSampleCursor = (at: Date, party: number): string => Buffer.from(`${at.toISOString()}|${party}`).toString('base64url');

function decodeSampleCursor(value: string): SampleCursor | null {
  const match = FORM.exec(Buffer.from(value, 'base64url').toString());
  return match ? { at: match[1]!, party: Number(match[2]) } : null;
}

/** One call's quality samples, oldest first, keyset paged on (receipt time, party). */
export const QualitySamplesQuery = z.strictObject({
  cursor: z
    .string()
    .max(200)
    .transform(
      (value, ctx) => decodeSampleCursor(value) ?? (ctx.addIssue({ code: 'custom', message: 'is not a cursor from this API' }), z.NEVER),
    )
    .optional()
    .describe("The previous page's nextCursor."),
  limit: z.coerce.number().int().min(1).max(1000).default(500).describe('Samples per page.'),
});
export type QualitySamplesQuery = z.infer<typeof QualitySamplesQuery>;
