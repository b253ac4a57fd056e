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
 * Reconnection and media graces, as delayed jobs keyed by the instant the trouble began: a job that
 * fires after the party came back (or media recovered) finds a different instant and does nothing.
 */
export const GRACE_QUEUE = 'call-graces';
export const GraceJob = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('reconnect'), callId: CallId, userId: UserId, since: z.iso.datetime() }),
  z.strictObject({ kind: z.literal('media'), callId: CallId, since: z.iso.datetime() }),
]);
export type GraceJob = z.infer<typeof GraceJob>;
export const graceJobOptions = (job: GraceJob, delayMs: number) => ({
  jobId: job.kind === 'reconnect' ? `reconnect:${job.callId}:${job.userId}:${job.since}` : `media:${job.callId}:${job.since}`,
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

/**
 * APNs pushes (VoIP to wake a callee's iPhone, alerts for missed calls), sent by the notifier.
 * The job id makes a push idempotent per call, device and kind. Transient APNs failures retry with
 * a short capped backoff; the processor drops a job once its ring deadline has passed, so the
 * attempt budget is only a backstop.
 */
export const PUSH_QUEUE = 'apns-push';
export const PUSH_BACKOFF_STRATEGY = 'apns-push';
export const pushBackoffMs = (attemptsMade: number) => Math.min(250 * 2 ** Math.max(0, attemptsMade - 1), 4000);
export const pushJobId = (kind: string, callId: string, deviceId: string) => `${kind}:${callId}:${deviceId}`;
export const pushJobOptions = (jobId: string) => ({
  jobId,
  attempts: 50,
  backoff: { type: PUSH_BACKOFF_STRATEGY },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 24 * 3600, count: 10_000 },
});
/** Pushes in flight per notifier process: they are I/O-bound, multiplexed over one HTTP/2 connection. */
export const PUSH_CONCURRENCY = 50;
/** Pushes are short; a crashed notifier's job is picked up again after this lock lapses. */
export const PUSH_QUEUE_SETTINGS = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 3 };

/** Every push attempt, reported by the notifier to the calls app (timeline, token invalidation). */
export const PUSH_REPORTS_QUEUE = 'push-reports';
export const pushReportJobOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 200 },
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
} as const;
