import { z } from 'zod';
import { DeviceId, UserId } from '../ids.js';
import { CallView } from './call-view.js';

/**
 * What the calls app publishes after every committed transition, whoever started it (a client or a
 * ring timer). Every gateway node receives each event and delivers it to its own sockets only.
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
