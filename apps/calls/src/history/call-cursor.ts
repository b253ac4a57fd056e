/**
 * A position in the call history, newest first: the last row's created_at, to the microsecond (a
 * JS Date keeps milliseconds, and two calls a few microseconds apart would tie), and its id as the
 * tiebreak. Opaque to clients, so its form can change without breaking them.
 */
export interface CallCursor {
  at: string;
  id: string;
}

const FORM = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)\|([0-9a-f-]{36})$/;

export const encodeCallCursor = (cursor: CallCursor): string => Buffer.from(`${cursor.at}|${cursor.id}`).toString('base64url');

export function decodeCallCursor(value: string): CallCursor | null {
  const match = FORM.exec(Buffer.from(value, 'base64url').toString());
  return match ? { at: match[1]!, id: match[2]! } : null;
}

/** The select expression that reads a row's cursor instant in the form above. */
export const CURSOR_AT_SQL = (alias: string) => `to_char(${alias}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
