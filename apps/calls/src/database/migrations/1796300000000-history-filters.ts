import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin history's new questions (issue 13), each answered from a column or an index rather than
 * by reading timelines:
 *
 * - `reconnects` counts a call's `resumed` entries and `relayed` says a final quality summary went
 *   through TURN. The writers keep them in the statement that writes the entry, so a filter on them
 *   is a column test, not a join into the timeline; both are backfilled here.
 * - Partial indexes on (created_at) for calls that reconnected or were relayed: both are a small
 *   share of calls, which a walk of the created_at index would otherwise read through to fill a page.
 * - The created_at covering index now also carries what the stats and the remaining list filters
 *   read (duration, answer time, reconnects, relayed, id), so the stats are an index-only scan and a
 *   minimum-duration filter or the keyset tiebreak on id is checked without the heap. It replaces
 *   the one of the history-indexes migration.
 * - Timeline: the push lookup (a user's latest push attempts) and the push stats read push-attempt
 *   entries by user and by time, and retention deletes quality samples by age: three partial indexes,
 *   each over a small slice of the timeline.
 * - `ended-by-admin` joins the end reasons the check constraint allows.
 * - Retention deletes calls, and the cascade to call_invites looks invites up by call id, which no
 *   index served: every deleted call would scan the whole table.
 */
/** The end reasons allowed before this migration (add-connection-state), spelled as that migration left them. */
const END_REASONS = `'completed', 'declined', 'cancelled', 'busy', 'missed', 'failed', 'connection-lost', 'ice-failed'`;

export class HistoryFilters1796300000000 implements MigrationInterface {
  name = 'HistoryFilters1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE calls DROP CONSTRAINT calls_end_reason_check`);
    await q.query(`ALTER TABLE calls ADD CONSTRAINT calls_end_reason_check CHECK (end_reason IN (${END_REASONS}, 'ended-by-admin'))`);
    await q.query(`ALTER TABLE calls ADD COLUMN reconnects integer NOT NULL DEFAULT 0, ADD COLUMN relayed boolean NOT NULL DEFAULT false`);
    await q.query(`
      UPDATE calls c SET reconnects = r.n
      FROM (SELECT call_id, count(*)::int AS n FROM call_timeline WHERE type = 'resumed' GROUP BY call_id) r
      WHERE r.call_id = c.id`);
    await q.query(`
      UPDATE calls SET relayed = true
      WHERE quality_summary IS NOT NULL
        AND EXISTS (SELECT 1 FROM jsonb_each(quality_summary) s WHERE s.value->>'candidateType' = 'relay')`);
    await q.query(`CREATE INDEX calls_reconnected_created_idx ON calls (created_at DESC, id DESC) WHERE reconnects > 0`);
    await q.query(`CREATE INDEX calls_relayed_created_idx ON calls (created_at DESC, id DESC) WHERE relayed`);
    await q.query(
      `CREATE INDEX calls_history_covering_idx ON calls (created_at DESC, id DESC)
       INCLUDE (state, end_reason, answered_at, duration_ms, reconnects, relayed)`,
    );
    await q.query(`DROP INDEX calls_created_covering_idx`);
    await q.query(`CREATE INDEX call_timeline_push_user_idx ON call_timeline (actor_user_id, at DESC) WHERE type = 'push-attempt'`);
    await q.query(`CREATE INDEX call_timeline_push_at_idx ON call_timeline (at, (data->>'outcome')) WHERE type = 'push-attempt'`);
    await q.query(`CREATE INDEX call_timeline_quality_at_idx ON call_timeline (at) WHERE type = 'quality'`);
    await q.query(`CREATE INDEX call_invites_call_idx ON call_invites (call_id)`);
    await q.query(`ANALYZE calls, call_timeline`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX call_invites_call_idx`);
    await q.query(`DROP INDEX call_timeline_quality_at_idx`);
    await q.query(`DROP INDEX call_timeline_push_at_idx`);
    await q.query(`DROP INDEX call_timeline_push_user_idx`);
    await q.query(`CREATE INDEX calls_created_covering_idx ON calls (created_at DESC) INCLUDE (state, end_reason)`);
    await q.query(`DROP INDEX calls_history_covering_idx`);
    await q.query(`DROP INDEX calls_relayed_created_idx`);
    await q.query(`DROP INDEX calls_reconnected_created_idx`);
    await q.query(`ALTER TABLE calls DROP COLUMN relayed, DROP COLUMN reconnects`);
    await q.query(`ALTER TABLE calls DROP CONSTRAINT calls_end_reason_check`);
    await q.query(`ALTER TABLE calls ADD CONSTRAINT calls_end_reason_check CHECK (end_reason IN (${END_REASONS}))`);
  }
}
