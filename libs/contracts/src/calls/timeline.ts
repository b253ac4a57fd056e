/**
 * Everything that can appear on a call's timeline (`GET /calls/:id`), each documented once in
 * docs/protocol.md#the-call-timeline, which a unit test keeps in step with this list. Transitions
 * are written by the calls app inside the transition's transaction; signaling milestones are
 * reported by the gateway off the fast path.
 */
export const TimelineType = {
  INVITED: 'invited',
  RINGING: 'ringing',
  ACCEPTED: 'accepted',
  ACCEPT_REJECTED: 'accept-rejected',
  DECLINED: 'declined',
  CANCELLED: 'cancelled',
  BUSY: 'busy',
  HUNG_UP: 'hung-up',
  MISSED: 'missed',
  FAILED: 'failed',
  GLARE_MERGED: 'glare-merged',
  OFFER_RELAYED: 'offer-relayed',
  ANSWER_RELAYED: 'answer-relayed',
  END_OF_CANDIDATES: 'end-of-candidates',
  MEDIA_STATE: 'media-state',
  PUSH_QUEUED: 'push-queued',
  PUSH_ATTEMPT: 'push-attempt',
  PUSH_SKIPPED: 'push-skipped',
  PUSH_WITHDRAWN: 'push-withdrawn',
  DISCONNECTED: 'disconnected',
  /** A drop reported for a connection the party had already replaced (it resumed on another): ignored. */
  STALE_DROP: 'stale-drop',
  RESUMED: 'resumed',
  REPLAYED: 'replayed',
  CONNECTION_LOST: 'connection-lost',
  ICE_STATE: 'ice-state',
  ICE_RESTART: 'ice-restart',
  MEDIA_DOWN: 'media-down',
  MEDIA_RECOVERED: 'media-recovered',
  ICE_FAILED: 'ice-failed',
  ENDED_BY_ADMIN: 'ended-by-admin',
  QUALITY_SUMMARY: 'quality-summary',
} as const;
export type TimelineType = (typeof TimelineType)[keyof typeof TimelineType];

/**
 * A `call:quality` sample, reported like a milestone but stored in a table of its own
 * (`GET /calls/:id/quality-samples`), not on the timeline: one every few seconds per party.
 */
export const QUALITY_SAMPLE = 'quality' as const;

export const SIGNALING_MILESTONES = [
  TimelineType.OFFER_RELAYED,
  TimelineType.ANSWER_RELAYED,
  TimelineType.END_OF_CANDIDATES,
  TimelineType.MEDIA_STATE,
  TimelineType.ICE_RESTART,
  TimelineType.REPLAYED,
  QUALITY_SAMPLE,
  TimelineType.QUALITY_SUMMARY,
] as const;
export type SignalingMilestone = (typeof SIGNALING_MILESTONES)[number];

/**
 * The milestones a call still takes after its end entry: quality reports, whose summary
 * is sent at hangup and so often arrives after it. Any other milestone is about a call in progress;
 * one that reaches the calls app after the end (it was still in the queue) is dropped, so nothing
 * reads as if the call went on after it ended.
 */
export const AFTER_END_MILESTONES: readonly SignalingMilestone[] = [QUALITY_SAMPLE, TimelineType.QUALITY_SUMMARY];
