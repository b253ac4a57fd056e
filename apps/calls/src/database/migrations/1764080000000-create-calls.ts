import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCalls1764080000000 implements MigrationInterface {
  name = 'CreateCalls1764080000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE calls (
        id uuid PRIMARY KEY,
        state varchar(16) NOT NULL CHECK (state IN ('initiated', 'ringing', 'active', 'ended')),
        end_reason varchar(16) CHECK (end_reason IN ('completed', 'declined', 'cancelled', 'busy', 'missed', 'failed')),
        media varchar(8) NOT NULL CHECK (media IN ('video', 'audio')),
        caller_id varchar(128) NOT NULL,
        caller_device_id varchar(128) NOT NULL,
        caller_name varchar(256),
        callee_id varchar(128) NOT NULL,
        answered_device_id varchar(128),
        created_at timestamptz NOT NULL,
        ringing_at timestamptz,
        answered_at timestamptz,
        ended_at timestamptz,
        ring_deadline timestamptz NOT NULL,
        duration_ms integer CHECK (duration_ms >= 0),
        last_seq integer NOT NULL DEFAULT 0,
        CHECK ((state = 'ended') = (end_reason IS NOT NULL)),
        CHECK ((state = 'ended') = (ended_at IS NOT NULL)),
        CHECK (caller_id <> callee_id)
      )`);
    await q.query(`CREATE INDEX calls_caller_created_idx ON calls (caller_id, created_at DESC)`);
    await q.query(`CREATE INDEX calls_callee_created_idx ON calls (callee_id, created_at DESC)`);
    await q.query(`CREATE INDEX calls_created_idx ON calls (created_at DESC)`);
    // Open calls are few; busy/glare checks and the ring-timer sweep only look at these.
    await q.query(`CREATE INDEX calls_open_idx ON calls (caller_id, callee_id) WHERE state <> 'ended'`);

    await q.query(`
      CREATE TABLE call_timeline (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        call_id uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        type varchar(32) NOT NULL,
        at timestamptz NOT NULL,
        actor_user_id varchar(128),
        actor_device_id varchar(128),
        data jsonb,
        source_id varchar(128) UNIQUE,
        UNIQUE (call_id, seq)
      )`);
    await q.query(`
      CREATE FUNCTION call_timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'call_timeline is append-only';
      END $$`);
    await q.query(`
      CREATE TRIGGER call_timeline_no_update BEFORE UPDATE ON call_timeline
      FOR EACH ROW EXECUTE FUNCTION call_timeline_append_only()`);

    await q.query(`
      CREATE TABLE call_invites (
        user_id varchar(128) NOT NULL,
        idempotency_key varchar(128) NOT NULL,
        call_id uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
        callee_id varchar(128) NOT NULL,
        merged boolean NOT NULL,
        PRIMARY KEY (user_id, idempotency_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE call_invites`);
    await q.query(`DROP TABLE call_timeline`);
    await q.query(`DROP FUNCTION call_timeline_append_only`);
    await q.query(`DROP TABLE calls`);
  }
}
