import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quality samples move off the timeline into fixed-width rows (history/quality-sample.writer.ts;
 * sizes in docs/admin-api.md). Columns go widest first so no alignment padding is stored. Rows
 * arrive in time order, so a BRIN index on `at` finds old ones for retention at almost no cost.
 * The party and candidate type codes are those of history/quality-sample-codes.ts, written out
 * here because a migration must not change with later code.
 */
export class CompactQualitySamples1796400000000 implements MigrationInterface {
  name = 'CompactQualitySamples1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE call_quality_samples (
        call_id uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
        at timestamptz NOT NULL,
        sampled_at timestamptz NOT NULL,
        rtt_ms real,
        jitter_ms real,
        packet_loss_pct real,
        inbound_kbps real,
        outbound_kbps real,
        frames_per_second real,
        frames_decoded integer,
        party smallint NOT NULL,
        candidate_type smallint,
        PRIMARY KEY (call_id, at, party)
      )`);
    // Summarised as rows arrive, not only at vacuum: retention reads the newest ranges too.
    await q.query(`CREATE INDEX call_quality_samples_at_brin ON call_quality_samples USING brin (at) WITH (autosummarize = on)`);
    await q.query(`
      INSERT INTO call_quality_samples
      SELECT t.call_id, date_trunc('milliseconds', t.at), COALESCE((t.data->>'at')::timestamptz, t.at),
             (t.data->>'rttMs')::real, (t.data->>'jitterMs')::real, (t.data->>'packetLossPct')::real,
             (t.data->>'inboundKbps')::real, (t.data->>'outboundKbps')::real, (t.data->>'framesPerSecond')::real,
             CASE WHEN (t.data->>'framesDecoded')::numeric <= 2147483647 THEN (t.data->>'framesDecoded')::integer END,
             CASE WHEN t.actor_user_id = c.caller_id THEN 0 ELSE 1 END,
             array_position(ARRAY['host', 'srflx', 'prflx', 'relay'], t.data->>'candidateType') - 1
      FROM call_timeline t JOIN calls c ON c.id = t.call_id
      WHERE t.type = 'quality'
      ORDER BY t.at
      ON CONFLICT DO NOTHING`);
    await q.query(`DELETE FROM call_timeline WHERE type = 'quality'`);
    await q.query(`DROP INDEX IF EXISTS call_timeline_quality_at_idx`);
  }

  /** Drops the samples: their source ids and JSON, which timeline entries need, are not kept. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX call_timeline_quality_at_idx ON call_timeline (at) WHERE type = 'quality'`);
    await q.query(`DROP TABLE call_quality_samples`);
  }
}
