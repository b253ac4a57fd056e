import { z } from 'zod';
import { CallId, UserId } from '../ids.js';
import { CallMedia, CallRole, CallState, EndReason } from './call-state.js';
import { CallView, TimelineEntryView } from './call-view.js';
import { QualitySample } from '../signaling/signaling-schemas.js';

const Timestamp = z.iso.datetime();

/** A call as the admin history shows it: its view plus what the list filters on. */
export const AdminCallView = CallView.extend({
  /** Times a party came back (a `resumed` timeline entry) during the call. */
  reconnects: z.number().int().nonnegative(),
  /** A party's final quality summary said its media went through TURN (candidateType relay). */
  relayed: z.boolean(),
});
export type AdminCallView = z.infer<typeof AdminCallView>;

/** One keyset page: pass `nextCursor` back as `cursor` for the next one; null on the last page. */
export const CallPage = z.object({ items: z.array(AdminCallView), nextCursor: z.string().nullable() });
export type CallPage = z.infer<typeof CallPage>;

const Percentiles = z.object({ p50: z.number().nullable(), p95: z.number().nullable() });
/** Statistics' percentiles come from 5 % histogram buckets (docs/admin-api.md). */
const ApproxPercentiles = Percentiles.describe('p50 and p95, within about 2.5 % of exact.');

/** One party's `quality` samples, summarised. Absent measurements are left out of their percentile. */
export const PartyQuality = z.object({
  samples: z.number().int().nonnegative(),
  rttMs: Percentiles,
  packetLossPct: Percentiles,
  framesPerSecond: Percentiles,
  /** The candidate type most samples reported (relay: through TURN). */
  candidateType: z.string().nullable(),
});
export type PartyQuality = z.infer<typeof PartyQuality>;

export const CallDetailView = AdminCallView.extend({
  /** One page of the timeline in seq order. Quality samples are not on it: `GET /calls/:id/quality-samples`. */
  timeline: z.array(TimelineEntryView),
  /** Pass as `after` for the next page of the timeline; null on the last page. */
  nextTimelineSeq: z.number().int().positive().nullable(),
  quality: z.object({ caller: PartyQuality.nullable(), callee: PartyQuality.nullable() }),
});
export type CallDetailView = z.infer<typeof CallDetailView>;

/** One `call:quality` sample as a party sent it, with when the gateway received it. */
export const QualitySampleView = QualitySample.extend({
  party: CallRole,
  receivedAt: Timestamp,
});
export type QualitySampleView = z.infer<typeof QualitySampleView>;

/** Samples oldest first; pass `nextCursor` back as `cursor` for the next page, null on the last. */
export const QualitySamplePage = z.object({ items: z.array(QualitySampleView), nextCursor: z.string().nullable() });
export type QualitySamplePage = z.infer<typeof QualitySamplePage>;

export const StatsBucket = z.object({
  /** Start of the bucket (UTC); null for the row that totals the whole range. */
  start: Timestamp.nullable(),
  calls: z.number().int(),
  answered: z.number().int(),
  /** answered / calls. */
  answerRate: z.number().nullable(),
  /** Invite to answer, answered calls only. */
  setupMs: ApproxPercentiles,
  /** Talk time of answered calls that ended. */
  durationMs: ApproxPercentiles,
  endReasons: z.record(z.string(), z.number().int()),
  reconnectsPerCall: z.number().nullable(),
  relayedShare: z.number().nullable(),
  /** APNs attempts with a final answer (retries excluded) and how many were delivered, by attempt time. */
  pushes: z.object({ attempts: z.number().int(), delivered: z.number().int(), successRate: z.number().nullable() }),
  /** Over both parties' final quality summaries. */
  rttMs: ApproxPercentiles,
  packetLossPct: ApproxPercentiles,
});
export type StatsBucket = z.infer<typeof StatsBucket>;

export const CallStats = z.object({
  from: Timestamp,
  to: Timestamp,
  bucket: z.enum(['day', 'hour']),
  buckets: z.array(StatsBucket),
  total: StatsBucket,
});
export type CallStats = z.infer<typeof CallStats>;

export const EndCallRequest = z.strictObject({
  reason: z.string().min(1).max(500).describe('Why the call was ended; recorded on its timeline.'),
});
export type EndCallRequest = z.infer<typeof EndCallRequest>;

/** A call on the user's own Recents screen: only what that user may see of it. */
export const RecentCallView = z.object({
  id: CallId,
  peerId: UserId,
  /** The caller's display name, on incoming calls. */
  peerName: z.string().nullable(),
  direction: z.enum(['outgoing', 'incoming']),
  media: CallMedia,
  state: CallState,
  endReason: EndReason.nullable(),
  createdAt: Timestamp,
  answeredAt: Timestamp.nullable(),
  endedAt: Timestamp.nullable(),
  durationMs: z.number().int().nonnegative().nullable(),
});
export type RecentCallView = z.infer<typeof RecentCallView>;

export const RecentCallPage = z.object({ items: z.array(RecentCallView), nextCursor: z.string().nullable() });
export type RecentCallPage = z.infer<typeof RecentCallPage>;
