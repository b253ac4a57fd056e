import { z } from 'zod';
import { CallId, DeviceId, DisplayName, UserId } from '../ids.js';
import { CallMedia } from '../calls/call-state.js';
import { ApnsEnvironment } from '../devices/device.js';
import { RequestId } from '../calls/internal-api.js';

/** Apple's payload limits: 5120 bytes for VoIP pushes, 4096 for everything else. */
export const MAX_VOIP_PAYLOAD_BYTES = 5120;
export const MAX_ALERT_PAYLOAD_BYTES = 4096;

const PushTarget = {
  callId: CallId,
  userId: UserId,
  deviceId: DeviceId,
  token: z.string().regex(/^[0-9a-f]{64,200}$/),
  environment: ApnsEnvironment,
  topic: z.string().min(1).max(160),
  /** Past this instant the push has lost its value: it is dropped, never sent. */
  expiresAt: z.iso.datetime(),
  /** The client message that caused the push (REQUEST_ID_HEADER), for the notifier's logs. */
  requestId: RequestId.optional(),
};

/** What the iOS app receives in `pushRegistry(_:didReceiveIncomingPushWith:)`, besides `aps`. */
export const VoipPushPayload = z.object({
  callId: CallId,
  callerId: UserId,
  callerName: DisplayName.nullable(),
  media: CallMedia,
  ringDeadline: z.iso.datetime(),
});
export type VoipPushPayload = z.infer<typeof VoipPushPayload>;

export const PushJob = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('voip'), ...PushTarget, payload: VoipPushPayload }),
  z.strictObject({
    kind: z.literal('missed-call'),
    ...PushTarget,
    alert: z.strictObject({ title: z.string().max(200), body: z.string().max(500) }),
  }),
]);
export type PushJob = z.infer<typeof PushJob>;
export type PushKind = PushJob['kind'];

/** How one delivery attempt ended, as reported back to the calls app for the timeline. */
export const PushOutcome = z.enum(['delivered', 'retrying', 'failed', 'expired', 'token-invalid']);
export type PushOutcome = z.infer<typeof PushOutcome>;

export const PushReportJob = z.strictObject({
  /** One per attempt, made by the notifier: the calls app records each attempt once, whatever Redis forgets. */
  reportId: z.uuid(),
  callId: CallId,
  userId: UserId,
  deviceId: DeviceId,
  kind: z.enum(['voip', 'missed-call']),
  token: z.string(),
  attempt: z.number().int().positive(),
  outcome: PushOutcome,
  apnsId: z.string().nullable(),
  status: z.number().int().nullable(),
  reason: z.string().nullable(),
  latencyMs: z.number().nonnegative().nullable(),
  /** For 410: Apple's "token no longer valid since" (ms); a token registered later stays valid. */
  invalidSince: z.number().int().nullable(),
  at: z.iso.datetime(),
});
export type PushReportJob = z.infer<typeof PushReportJob>;

/**
 * The reports of the attempts a notifier finished in one turn of its event loop, as one job, so the
 * calls app pays for the queue once per batch and not once per push. Recorded in order.
 */
export const PushReportBatchJob = z.strictObject({ reports: z.array(PushReportJob).min(1) });
export type PushReportBatchJob = z.infer<typeof PushReportBatchJob>;
