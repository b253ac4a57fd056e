import { z } from 'zod';
import { CallId, DeviceId, DisplayName, UserId } from '../ids.js';
import { CallMedia, CallState, EndReason } from './call-state.js';

const Timestamp = z.iso.datetime();

/**
 * A call's version: its timeline's last seq, so it grows with every recorded change. Events carry
 * the version of the change they announce; a client or gateway that has seen a version drops any
 * event at or below it (a redelivery), and a state answer at version V covers every event up to V.
 */
export const CallVersion = z.number().int().positive();

/** A call as the gateway, the apps and admins see it. */
export const CallView = z.object({
  id: CallId,
  state: CallState,
  endReason: EndReason.nullable(),
  media: CallMedia,
  callerId: UserId,
  callerDeviceId: DeviceId,
  callerName: DisplayName.nullable(),
  calleeId: UserId,
  answeredDeviceId: DeviceId.nullable(),
  createdAt: Timestamp,
  ringingAt: Timestamp.nullable(),
  answeredAt: Timestamp.nullable(),
  endedAt: Timestamp.nullable(),
  ringDeadline: Timestamp,
  durationMs: z.number().int().nonnegative().nullable(),
  /** Set while that party's socket is down and its reconnection grace runs. */
  callerDisconnectedAt: Timestamp.nullable(),
  calleeDisconnectedAt: Timestamp.nullable(),
  /** Each party's final getStats summary, by role, once reported. */
  qualitySummary: z.record(z.string(), z.unknown()).nullable(),
  version: CallVersion,
});
export type CallView = z.infer<typeof CallView>;

export const TimelineEntryView = z.object({
  seq: z.number().int().positive(),
  type: z.string(),
  at: Timestamp,
  actorUserId: UserId.nullable(),
  actorDeviceId: DeviceId.nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
});
export type TimelineEntryView = z.infer<typeof TimelineEntryView>;
