import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateDevices1764090000000 implements MigrationInterface {
  name = 'CreateDevices1764090000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE devices (
        user_id varchar(128) NOT NULL,
        device_id varchar(128) NOT NULL,
        platform varchar(16) NOT NULL CHECK (platform IN ('ios')),
        voip_token varchar(200),
        voip_token_registered_at timestamptz,
        apns_token varchar(200),
        apns_token_registered_at timestamptz,
        apns_environment varchar(16) NOT NULL CHECK (apns_environment IN ('sandbox', 'production')),
        bundle_id varchar(155) NOT NULL,
        app_version varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, device_id)
      )`);
    // A token belongs to one device: registering it elsewhere moves it.
    await q.query(`CREATE UNIQUE INDEX devices_voip_token_key ON devices (voip_token) WHERE voip_token IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX devices_apns_token_key ON devices (apns_token) WHERE apns_token IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE devices`);
  }
}
