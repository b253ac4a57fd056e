import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quality samples move off the timeline into fixed-width rows (history/quality-samples.ts): 179
 * bytes a sample with its key, against 640 for a timeline entry with its JSON, source id and three
 * indexes (measured over 100,000 samples; docs/admin-api.md). Columns are ordered widest first so no alignment padding is stored. A BRIN
 * index on `at` (rows arrive in time order) lets retention find old samples at almost no cost.
 * The party and candidate type codes are the order of CallRole and of QualitySample.candidateType
 * in contracts, written out here because a migration must not change with later code.
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
    await q.query(`CREATE INDEX call_quality_samples_at_brin ON call_quality_samples USING brin (at)`);
    await q.query(`
      INSERT INTO call_quality_samples
      SELECT t.call_id, t.at, COALESCE((t.data->>'at')::timestamptz, t.at),
             (t.data->>'rttMs')::real, (t.data->>'jitterMs')::real, (t.data->>'packetLossPct')::real,
             (t.data->>'inboundKbps')::real, (t.data->>'outboundKbps')::real, (t.data->>'framesPerSecond')::real,
             (t.data->>'framesDecoded')::integer,
             CASE WHEN t.actor_user_id = c.caller_id THEN 0 ELSE 1 END,
             array_position(ARRAY['host', 'srflx', 'prflx', 'relay'], t.data->>'candidateType') - 1
      FROM call_timeline t JOIN calls c ON c.id = t.call_id
      WHERE t.type = 'quality'
      ON CONFLICT DO NOTHING`);
    await q.query(`DELETE FROM call_timeline WHERE type = 'quality'`);
    await q.query(`DROP INDEX IF EXISTS call_timeline_quality_at_idx`);
  }

  /** Drops the samples: the timeline has no room for them any more (their seqs were reused). */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX call_timeline_quality_at_idx ON call_timeline (at) WHERE type = 'quality'`);
    await q.query(`DROP TABLE call_quality_samples`);
  }
}
