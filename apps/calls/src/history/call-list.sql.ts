import { callColumns } from '../calls/call-row.js';
import type { CallFilters } from '../calls/list-calls.query.js';
import { type CallCursor, CURSOR_AT_SQL } from './call-cursor.js';

const SELECT = `${callColumns('c')}, ${CURSOR_AT_SQL('c')} AS "cursorAt"`;

/**
 * One keyset page of calls matching `filters`, newest first, as raw rows with their cursor instant.
 * Each filter is a clause an index serves (see the history-indexes and history-filters migrations).
 * The keyset bound is spelled `created_at <= t AND (created_at < t OR id < i)` rather than as a row
 * comparison, so its first half is an index bound on every index that leads with created_at or ends
 * in it after an equality, and the id tiebreak is a cheap incremental sort among equal instants.
 * A user's calls are the newest of their calls as caller and as callee, merged: each half walks its
 * own (party, created_at) index and stops at the page size, where an OR across the two columns would
 * fetch and sort every call the user ever made.
 */
export function callListSql(filters: CallFilters, cursor: CallCursor | undefined, limit: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const where: string[] = [];
  if (filters.state) where.push(`c.state = ${param(filters.state)}`);
  if (filters.endReason) where.push(`c.end_reason = ${param(filters.endReason)}`);
  if (filters.from) where.push(`c.created_at >= ${param(filters.from)}::timestamptz`);
  if (filters.to) where.push(`c.created_at < ${param(filters.to)}::timestamptz`);
  if (filters.minDurationMs !== undefined) where.push(`c.duration_ms >= ${param(filters.minDurationMs)}`);
  // Literals, not parameters: they must match the partial indexes' predicates word for word.
  if (filters.hadReconnects !== undefined) where.push(filters.hadReconnects ? 'c.reconnects > 0' : 'c.reconnects = 0');
  if (filters.relayed !== undefined) where.push(filters.relayed ? 'c.relayed' : 'NOT c.relayed');
  if (cursor) {
    const at = param(cursor.at);
    const id = param(cursor.id);
    where.push(`c.created_at <= ${at}::timestamptz AND (c.created_at < ${at}::timestamptz OR c.id < ${id}::uuid)`);
  }
  const size = param(limit);
  const page = (clauses: string[]) =>
    `SELECT ${SELECT} FROM calls c${clauses.length ? ` WHERE ${clauses.join(' AND ')}` : ''} ORDER BY c.created_at DESC, c.id DESC LIMIT ${size}`;
  if (!filters.userId) return { sql: page(where), params };
  const user = param(filters.userId);
  const sql = `SELECT * FROM ((${page([`c.caller_id = ${user}`, ...where])}) UNION ALL (${page([`c.callee_id = ${user}`, ...where])})) u
    ORDER BY u."cursorAt" DESC, u.id DESC LIMIT ${size}`;
  return { sql, params };
}
