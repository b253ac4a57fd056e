import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only: a database trigger rejects UPDATE on this table. */
@Entity({ name: 'call_timeline' })
export class CallTimelineEntry {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id!: string;

  @Column({ name: 'call_id', type: 'uuid' })
  callId!: string;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 32 })
  type!: string;

  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ name: 'actor_user_id', type: 'varchar', length: 128, nullable: true })
  actorUserId!: string | null;

  @Column({ name: 'actor_device_id', type: 'varchar', length: 128, nullable: true })
  actorDeviceId!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  data!: object | null;

  /** Set for entries reported through a queue, so a redelivered job is written once. */
  @Column({ name: 'source_id', type: 'varchar', length: 128, nullable: true })
  sourceId!: string | null;
}
