import { Notification, Priority, PushType } from 'apns2';
import { MAX_ALERT_PAYLOAD_BYTES, MAX_VOIP_PAYLOAD_BYTES, type PushJob } from '#contracts';

/**
 * VoIP: priority 10 (ring now) and apns-expiration = the ring deadline, since a VoIP push that
 * arrives after ringing ended can only ring a dead call. Alerts collapse per call.
 */
export function buildNotification(job: PushJob, sentAt: Date): Notification {
  // Whole seconds, rounded down: apns2 rounds a Date to nearest, which can outlive the deadline.
  const expiration = Math.floor(Date.parse(job.expiresAt) / 1000);
  if (job.kind === 'voip')
    return new Notification(job.token, {
      type: PushType.voip,
      topic: job.topic,
      priority: Priority.immediate,
      expiration,
      data: { ...job.payload, sentAt: sentAt.toISOString() },
    });
  return new Notification(job.token, {
    type: PushType.alert,
    topic: job.topic,
    priority: Priority.immediate,
    expiration,
    collapseId: job.callId,
    alert: job.alert,
    sound: 'default',
    data: { callId: job.callId },
  });
}

export function payloadBytes(notification: Notification): number {
  return Buffer.byteLength(JSON.stringify(notification.buildApnsOptions()));
}

export const maxPayloadBytes = (job: PushJob) => (job.kind === 'voip' ? MAX_VOIP_PAYLOAD_BYTES : MAX_ALERT_PAYLOAD_BYTES);
