import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row per (user, idempotency key): the same invite sent twice returns the same call, including
 * an invite that glare merged into the other party's call.
 */
@Entity({ name: 'call_invites' })
export class CallInvite {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 128 })
  idempotencyKey!: string;

  @Column({ name: 'call_id', type: 'uuid' })
  callId!: string;

  @Column({ name: 'callee_id', type: 'varchar', length: 128 })
  calleeId!: string;

  @Column({ type: 'boolean' })
  merged!: boolean;
}
