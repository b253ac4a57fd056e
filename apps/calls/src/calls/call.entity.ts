import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CallMedia, CallState, EndReason, IceConnectionState } from '#contracts';

@Entity({ name: 'calls' })
export class Call {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: CallState;

  @Column({ name: 'end_reason', type: 'varchar', length: 16, nullable: true })
  endReason!: EndReason | null;

  @Column({ type: 'varchar', length: 8 })
  media!: CallMedia;

  @Column({ name: 'caller_id', type: 'varchar', length: 128 })
  callerId!: string;

  @Column({ name: 'caller_device_id', type: 'varchar', length: 128 })
  callerDeviceId!: string;

  @Column({ name: 'caller_name', type: 'varchar', length: 256, nullable: true })
  callerName!: string | null;

  @Column({ name: 'callee_id', type: 'varchar', length: 128 })
  calleeId!: string;

  @Column({ name: 'answered_device_id', type: 'varchar', length: 128, nullable: true })
  answeredDeviceId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'ringing_at', type: 'timestamptz', nullable: true })
  ringingAt!: Date | null;

  @Column({ name: 'answered_at', type: 'timestamptz', nullable: true })
  answeredAt!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'ring_deadline', type: 'timestamptz' })
  ringDeadline!: Date;

  /** Talk time: answered → ended. Null until the call ends; 0 for calls never answered. */
  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs!: number | null;

  /** Last timeline sequence number; bumped under the row lock so seqs are gapless per call. */
  @Column({ name: 'last_seq', type: 'integer', default: 0 })
  lastSeq!: number;

  /** Set while the caller's socket is down; its reconnection grace is keyed by this instant. */
  @Column({ name: 'caller_disconnected_at', type: 'timestamptz', nullable: true })
  callerDisconnectedAt!: Date | null;

  @Column({ name: 'callee_disconnected_at', type: 'timestamptz', nullable: true })
  calleeDisconnectedAt!: Date | null;

  @Column({ name: 'caller_ice_state', type: 'varchar', length: 16, nullable: true })
  callerIceState!: IceConnectionState | null;

  @Column({ name: 'callee_ice_state', type: 'varchar', length: 16, nullable: true })
  calleeIceState!: IceConnectionState | null;

  /** Set while media is down on either side; its media grace is keyed by this instant. */
  @Column({ name: 'media_down_since', type: 'timestamptz', nullable: true })
  mediaDownSince!: Date | null;

  /** The connection (socket id) that carries each side now; a drop reported for another is stale. */
  @Column({ name: 'caller_carrier', type: 'varchar', length: 64, nullable: true })
  callerCarrier!: string | null;

  @Column({ name: 'callee_carrier', type: 'varchar', length: 64, nullable: true })
  calleeCarrier!: string | null;

  /** Set while an answered call waits for its media to connect for the first time. */
  @Column({ name: 'connect_deadline', type: 'timestamptz', nullable: true })
  connectDeadline!: Date | null;

  @Column({ name: 'quality_summary', type: 'jsonb', nullable: true })
  qualitySummary!: object | null;

  /** `resumed` entries on the timeline, bumped with each: what "had reconnects" filters on. */
  @Column({ type: 'integer', default: 0 })
  reconnects!: number;

  /** A final quality summary reported a relay candidate: the call's media went through TURN. */
  @Column({ type: 'boolean', default: false })
  relayed!: boolean;
}
