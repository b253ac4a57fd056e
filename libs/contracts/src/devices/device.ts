import { z } from 'zod';
import { DeviceId, UserId } from '../ids.js';

/** An APNs device token: hex, 32 bytes today; Apple warns the length may grow, so up to 100 bytes. */
export const ApnsDeviceToken = z
  .string()
  .regex(/^(?:[0-9a-fA-F]{2}){32,100}$/, 'must be the hex APNs device token (64 to 200 hex digits)')
  .transform((t) => t.toLowerCase());

export const ApnsEnvironment = z.enum(['sandbox', 'production']);
export type ApnsEnvironment = z.infer<typeof ApnsEnvironment>;

/** Reverse-DNS bundle id, e.g. com.example.calls; the VoIP topic is `<bundleId>.voip`. */
export const BundleId = z
  .string()
  .max(155)
  .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'must be a reverse-DNS bundle id');

export const RegisterDeviceRequest = z.strictObject({
  platform: z.literal('ios'),
  /** PushKit VoIP token: wakes the app for incoming calls. */
  voipToken: ApnsDeviceToken,
  /** Regular APNs token, for alert pushes such as "Missed call from …". */
  apnsToken: ApnsDeviceToken.nullable().default(null),
  apnsEnvironment: ApnsEnvironment,
  bundleId: BundleId,
  appVersion: z.string().min(1).max(64),
});
export type RegisterDeviceRequest = z.infer<typeof RegisterDeviceRequest>;

export const DeviceView = z.object({
  userId: UserId,
  deviceId: DeviceId,
  platform: z.literal('ios'),
  voipToken: z.string().nullable(),
  apnsToken: z.string().nullable(),
  apnsEnvironment: ApnsEnvironment,
  bundleId: BundleId,
  appVersion: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type DeviceView = z.infer<typeof DeviceView>;

export const DeviceIdParam = z.strictObject({ deviceId: DeviceId });

/** What a woken app asks when a VoIP push arrives: is this call still ringing? */
export const CallStateView = z.object({
  callId: z.uuid(),
  state: z.enum(['initiated', 'ringing', 'active', 'ended']),
  endReason: z.string().nullable(),
  ringDeadline: z.iso.datetime(),
  /** The device that answered (null until answered): any other device of the callee is out of it. */
  answeredDeviceId: z.string().nullable(),
  /** The call's version: every event up to it is reflected here, so drop events at or below it. */
  version: z.number().int().positive(),
});
export type CallStateView = z.infer<typeof CallStateView>;
