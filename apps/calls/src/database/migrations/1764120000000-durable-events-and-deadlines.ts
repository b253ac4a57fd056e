import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Nothing acknowledged is lost whatever dies: call events and push jobs are written in the
 * transition's transaction (an outbox) and handed to Redis after the commit; every deadline is a
 * column the calls app checks, not a timer held only by Redis; each party's current connection is
 * recorded so a drop reported for a replaced one is recognised as stale.
 */
export class DurableEventsAndDeadlines1764120000000 implements MigrationInterface {
  name = 'DurableEventsAndDeadlines1764120000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE call_outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        call_id uuid NOT NULL,
        kind varchar(8) NOT NULL CHECK (kind IN ('event', 'push')),
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        sent_at timestamptz
      )`);
    // The retry loop reads only what is still unsent: a small partial index, whatever the volume.
    await q.query(`CREATE INDEX call_outbox_unsent_idx ON call_outbox (id) WHERE sent_at IS NULL`);
    await q.query(`CREATE INDEX call_outbox_created_idx ON call_outbox (created_at)`);
    await q.query(`
      ALTER TABLE calls
        ADD COLUMN caller_carrier varchar(64),
        ADD COLUMN callee_carrier varchar(64),
        ADD COLUMN connect_deadline timestamptz`);
    // The deadline check scans open calls only.
    await q.query(`CREATE INDEX calls_open_deadlines_idx ON calls (ring_deadline) WHERE state <> 'ended'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX calls_open_deadlines_idx`);
    await q.query(`ALTER TABLE calls DROP COLUMN caller_carrier, DROP COLUMN callee_carrier, DROP COLUMN connect_deadline`);
    await q.query(`DROP TABLE call_outbox`);
  }
}
