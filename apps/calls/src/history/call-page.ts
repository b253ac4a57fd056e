import { encodeCallCursor } from './call-cursor.js';

/** A call row as the keyset list reads it: its columns and its cursor instant. */
export type CursorRow = Record<string, unknown> & { id: string; cursorAt: string };

/** The first `limit` rows as items; the row past them, if any, says a next page exists. */
export function page<T>(rows: CursorRow[], limit: number, view: (row: CursorRow) => T): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const more = rows.length > limit && last;
  return {
    items: items.map(({ cursorAt: _, ...row }) => view(row as CursorRow)),
    nextCursor: more ? encodeCallCursor({ at: last.cursorAt, id: last.id }) : null,
  };
}
