import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every admin history filter is served by an index, rare values included (issue 9). Before, a list
 * by a rare end reason walked the created_at index through the whole table to fill one page.
 *
 * - End reason: (end_reason, created_at) reads the newest calls of one reason directly.
 * - State: calls that are not ended are few at any moment, so a partial index holds only them; a
 *   list of ended calls is nearly every call and walks the created_at index as before.
 * - User: the party indexes carry state and end reason as key columns, so a user's calls filtered by
 *   either are checked inside the index instead of fetching each of the user's rows. They replace the
 *   (party, created_at) indexes they extend, so writes maintain no more indexes than before.
 * - The created_at index includes state and end reason, so the 30-day stats (calls per day by state
 *   and end reason) are an index-only scan. It replaces the plain one.
 * - Without statistics on the day expression, the planner expects one group per call and sorts
 *   every call of the window (on disk, at 1M calls) instead of hashing a few hundred groups. The
 *   expression must match the stats query's GROUP BY exactly to be used.
 *
 * The new indexes are built before the ones they replace are dropped, in one transaction; on a large
 * table the build holds off writes to calls for its duration (seconds per million calls).
 */
export class HistoryIndexes1796215000000 implements MigrationInterface {
  name = 'HistoryIndexes1796215000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX calls_end_reason_created_idx ON calls (end_reason, created_at DESC)`);
    await q.query(`CREATE INDEX calls_open_state_created_idx ON calls (state, created_at DESC) WHERE state <> 'ended'`);
    await q.query(`CREATE INDEX calls_caller_history_idx ON calls (caller_id, created_at DESC, state, end_reason)`);
    await q.query(`CREATE INDEX calls_callee_history_idx ON calls (callee_id, created_at DESC, state, end_reason)`);
    await q.query(`CREATE INDEX calls_created_covering_idx ON calls (created_at DESC) INCLUDE (state, end_reason)`);
    await q.query(
      `CREATE STATISTICS calls_day_state_reason_stats (ndistinct) ON (date_trunc('day', created_at AT TIME ZONE 'UTC')), state, end_reason FROM calls`,
    );
    await q.query(`DROP INDEX calls_caller_created_idx`);
    await q.query(`DROP INDEX calls_callee_created_idx`);
    await q.query(`DROP INDEX calls_created_idx`);
    // New statistics are empty until the next analyze; autovacuum's may be hours away on a big table.
    await q.query(`ANALYZE calls`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX calls_caller_created_idx ON calls (caller_id, created_at DESC)`);
    await q.query(`CREATE INDEX calls_callee_created_idx ON calls (callee_id, created_at DESC)`);
    await q.query(`CREATE INDEX calls_created_idx ON calls (created_at DESC)`);
    await q.query(`DROP STATISTICS calls_day_state_reason_stats`);
    await q.query(`DROP INDEX calls_created_covering_idx`);
    await q.query(`DROP INDEX calls_callee_history_idx`);
    await q.query(`DROP INDEX calls_caller_history_idx`);
    await q.query(`DROP INDEX calls_open_state_created_idx`);
    await q.query(`DROP INDEX calls_end_reason_created_idx`);
  }
}
