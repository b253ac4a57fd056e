import { z } from 'zod';
import { CallId, DeviceId, UserId } from '../ids.js';
import { SIGNALING_MILESTONES } from '../calls/timeline.js';

/**
 * Every Bull queue, its job payload and its default job options, in one place.
 * Completed and failed jobs are trimmed so Redis does not grow with call volume.
 */

// Call deadlines (ring, reconnection and media graces, connect) are not queued: they are columns of
// the call in Postgres, kept by the calls app's deadline check (Timeouts.DEADLINE_CHECK_MS), so no
// Redis loss, exhausted retry or crash can leave a call open.

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
/** Most milestones in one job: a gateway batches what it saw within MILESTONE_BATCH_MS. */
export const MAX_MILESTONES_PER_JOB = 200;
/**
 * What a gateway queues: the milestones it saw in one batching window, in order. A full call reports
 * several; one Bull job each cost more Redis commands and CPU, on both ends, than the call itself.
 * The calls app also accepts a lone milestone, as gateways before batching queued them.
 */
export const CallMilestonesJob = z.strictObject({ milestones: z.array(CallMilestoneJob).min(1).max(MAX_MILESTONES_PER_JOB) });
export type CallMilestonesJob = z.infer<typeof CallMilestonesJob>;
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
/**
 * Pushes in flight per notifier process: they are I/O-bound, multiplexed over HTTP/2. Each push
 * waits on four hops (Bull fetch, delivery check, APNs, mark and report); at 50 a loaded notifier
 * sat idle between hops. APNs sets its own stream limit per connection; when every connection's
 * streams are taken (stalled requests), the notifier opens another, up to APNS_CONNECTIONS_MAX.
 */
export const PUSH_CONCURRENCY = 200;
/** HTTP/2 connections per APNs environment per notifier. Apple allows several but frowns on churn. */
export const APNS_CONNECTIONS_MAX = 4;
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
