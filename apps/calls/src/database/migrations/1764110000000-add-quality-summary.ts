import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each party's getStats summary at hangup, kept on the call for history queries. */
export class AddQualitySummary1764110000000 implements MigrationInterface {
  name = 'AddQualitySummary1764110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE calls ADD COLUMN quality_summary jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE calls DROP COLUMN quality_summary`);
  }
}
