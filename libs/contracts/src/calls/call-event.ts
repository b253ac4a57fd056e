import { z } from 'zod';
import { DeviceId, UserId } from '../ids.js';
import { CallView } from './call-view.js';

/**
 * What the calls app records with every committed transition, in the same transaction (an outbox),
 * and publishes after the commit, whoever started it (a client or a deadline). Every gateway node
 * receives each event at least once and delivers it to its own sockets only; `call.version` numbers
 * the events of a call, so a redelivered one is dropped.
 */
export const CallEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('created'), call: CallView }),
  z.object({ type: z.literal('ringing'), call: CallView, deviceId: DeviceId }),
  z.object({ type: z.literal('accepted'), call: CallView }),
  z.object({ type: z.literal('ended'), call: CallView, byDeviceId: DeviceId.nullable() }),
  /** A party's socket dropped; its peer is told to hold on. */
  z.object({ type: z.literal('reconnecting'), call: CallView, userId: UserId, deviceId: DeviceId, graceEndsAt: z.iso.datetime() }),
  z.object({ type: z.literal('resumed'), call: CallView, userId: UserId, deviceId: DeviceId }),
]);
export type CallEvent = z.infer<typeof CallEvent>;

/** Redis pub/sub channel, under the deployment's key prefix. */
export const callEventsChannel = (prefix: string) => `${prefix}call-events`;

/** One page of committed events, oldest first, for a gateway catching up after a lost subscription. */
export const CallEventsPage = z.object({
  events: z.array(z.object({ id: z.number().int().positive(), event: CallEvent })),
  /** Pass as `after` for the next page; null when this was the last. */
  next: z.number().int().positive().nullable(),
});
export type CallEventsPage = z.infer<typeof CallEventsPage>;
export const CallEventsQuery = z.strictObject({
  since: z.iso.datetime(),
  after: z.coerce.number().int().min(0).default(0),
});
export type CallEventsQuery = z.infer<typeof CallEventsQuery>;
