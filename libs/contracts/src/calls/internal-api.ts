import { z } from 'zod';
import { CallId, DeviceId, DisplayName, IdempotencyKey, UserId } from '../ids.js';
import { CallMedia, IceConnectionState } from './call-state.js';
import { CallView } from './call-view.js';

/**
 * The gateway → calls transport: plain HTTP/1.1 JSON, point to point, so that with N calls instances
 * behind a balancer each request is handled exactly once (a Redis request/reply transport would fan
 * a request out to every instance). Errors come back as `{ code, message }` with the code's status.
 */
export const INTERNAL_TOKEN_HEADER = 'x-internal-token';
/** The id the gateway gave the client message behind a request, for logs across the apps. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** A request id is ours or a caller's: bounded and plain, so it can be logged as is. */
export const RequestId = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/);

export const Actor = z.strictObject({ userId: UserId, deviceId: DeviceId });
export type Actor = z.infer<typeof Actor>;

/**
 * Which connection carries a party (its socket id). The calls app keeps the current one per side,
 * so a drop reported for a connection that was since replaced (a half-open socket noticed late,
 * after the party resumed elsewhere) is recognised as stale and changes nothing.
 */
export const CarrierId = z.string().min(1).max(64);

export const CreateCallRequest = z.strictObject({
  caller: Actor,
  carrierId: CarrierId,
  callerName: DisplayName.nullable(),
  calleeId: UserId,
  media: CallMedia,
  idempotencyKey: IdempotencyKey,
});
export type CreateCallRequest = z.infer<typeof CreateCallRequest>;

export const CreateCallResponse = z.object({
  call: CallView,
  /** True when this invite crossed one from the callee and was merged into it (glare). */
  merged: z.boolean(),
});
export type CreateCallResponse = z.infer<typeof CreateCallResponse>;

export const CallAction = z.enum(['ringing', 'accept', 'decline', 'cancel', 'hangup']);
/** Connection events the gateway reports; not transitions, but they arm or defuse the graces. */
export const ConnectionAction = z.enum(['disconnected', 'resume']);
export type ConnectionAction = z.infer<typeof ConnectionAction>;
export const IceStateRequest = z.strictObject({ actor: Actor, state: IceConnectionState });
export type IceStateRequest = z.infer<typeof IceStateRequest>;
export type CallAction = z.infer<typeof CallAction>;

export const CallActionRequest = z.strictObject({ actor: Actor, carrierId: CarrierId.optional() });
export type CallActionRequest = z.infer<typeof CallActionRequest>;

export const CallIdParam = z.strictObject({ id: CallId });

/** What the APNs answered for a user's devices, newest first (development view). */
export const PushLogEntry = z.object({
  at: z.iso.datetime(),
  callId: CallId,
  deviceId: DeviceId,
  kind: z.string(),
  outcome: z.string(),
  status: z.number().nullable(),
  apnsId: z.string().nullable(),
});
export type PushLogEntry = z.infer<typeof PushLogEntry>;

export const internalRoutes = {
  pushes: (userId: string) => `/internal/calls/users/${encodeURIComponent(userId)}/pushes`,
  createCall: () => '/internal/calls',
  action: (id: CallId, action: CallAction | ConnectionAction | 'ice-state') => `/internal/calls/${id}/${action}`,
  state: (id: CallId, userId: string) => `/internal/calls/${id}/state/${encodeURIComponent(userId)}`,
  events: (since: string, after: number) => `/internal/call-events?since=${encodeURIComponent(since)}&after=${after}`,
} as const;
