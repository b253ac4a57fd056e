import { z } from 'zod';
import { CallId, DeviceId, UserId } from '../ids.js';
import { SIGNALING_MILESTONES } from '../calls/timeline.js';

/**
 * Every Bull queue, its job payload and its default job options, in one place.
 * Completed and failed jobs are trimmed so Redis does not grow with call volume.
 */

/** Durable ring deadline: a delayed job per call, so it still fires after the calls app restarts. */
export const RING_TIMEOUT_QUEUE = 'ring-timeout';
export const RingTimeoutJob = z.strictObject({ callId: CallId });
export type RingTimeoutJob = z.infer<typeof RingTimeoutJob>;
export const ringTimeoutJobOptions = (callId: string, delayMs: number) => ({
  jobId: callId,
  delay: Math.max(0, delayMs),
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
});

/**
 * Signaling milestones seen by the gateway (offer/answer relayed, end of candidates, media state).
 * Queued rather than sent to calls so the relay path never waits on the calls app or Postgres.
 */
export const CALL_MILESTONES_QUEUE = 'call-milestones';
export const CallMilestoneJob = z.strictObject({
  callId: CallId,
  type: z.enum(SIGNALING_MILESTONES),
  actorUserId: UserId,
  actorDeviceId: DeviceId,
  at: z.iso.datetime(),
  data: z.record(z.string(), z.unknown()).nullable(),
});
export type CallMilestoneJob = z.infer<typeof CallMilestoneJob>;
export const callMilestoneJobOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 200 },
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
} as const;

/** VoIP pushes to wake a callee's iPhone (issue 3 fills in the processor). */
export const VOIP_PUSH_QUEUE = 'voip-push';
