import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ApnsEnvironment } from '#contracts';

@Entity({ name: 'devices' })
export class Device {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 128 })
  deviceId!: string;

  @Column({ type: 'varchar', length: 16 })
  platform!: 'ios';

  /** Null once APNs said it is no longer valid (410, BadDeviceToken) or it moved to another device. */
  @Column({ name: 'voip_token', type: 'varchar', length: 200, nullable: true })
  voipToken!: string | null;

  /** When the current VoIP token was registered: a 410 older than this must not invalidate it. */
  @Column({ name: 'voip_token_registered_at', type: 'timestamptz', nullable: true })
  voipTokenRegisteredAt!: Date | null;

  @Column({ name: 'apns_token', type: 'varchar', length: 200, nullable: true })
  apnsToken!: string | null;

  @Column({ name: 'apns_token_registered_at', type: 'timestamptz', nullable: true })
  apnsTokenRegisteredAt!: Date | null;

  @Column({ name: 'apns_environment', type: 'varchar', length: 16 })
  apnsEnvironment!: ApnsEnvironment;

  @Column({ name: 'bundle_id', type: 'varchar', length: 155 })
  bundleId!: string;

  @Column({ name: 'app_version', type: 'varchar', length: 64 })
  appVersion!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
