import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Reconnection and media graces: who is away since when, each party's ICE state, media down since. */
export class AddConnectionState1764100000000 implements MigrationInterface {
  name = 'AddConnectionState1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE calls DROP CONSTRAINT calls_end_reason_check`);
    await q.query(`
      ALTER TABLE calls ADD CONSTRAINT calls_end_reason_check CHECK (end_reason IN
        ('completed', 'declined', 'cancelled', 'busy', 'missed', 'failed', 'connection-lost', 'ice-failed'))`);
    await q.query(`
      ALTER TABLE calls
        ADD COLUMN caller_disconnected_at timestamptz,
        ADD COLUMN callee_disconnected_at timestamptz,
        ADD COLUMN caller_ice_state varchar(16),
        ADD COLUMN callee_ice_state varchar(16),
        ADD COLUMN media_down_since timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE calls
        DROP COLUMN caller_disconnected_at, DROP COLUMN callee_disconnected_at,
        DROP COLUMN caller_ice_state, DROP COLUMN callee_ice_state, DROP COLUMN media_down_since`);
    await q.query(`ALTER TABLE calls DROP CONSTRAINT calls_end_reason_check`);
    await q.query(
      `ALTER TABLE calls ADD CONSTRAINT calls_end_reason_check CHECK (end_reason IN ('completed', 'declined', 'cancelled', 'busy', 'missed', 'failed'))`,
    );
  }
}
