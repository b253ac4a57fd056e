import { z } from 'zod';

export const CallState = z.enum(['initiated', 'ringing', 'active', 'ended']);
export type CallState = z.infer<typeof CallState>;

export const EndReason = z.enum([
  /** Hung up after being answered. */
  'completed',
  /** A callee device declined while ringing. */
  'declined',
  /** The caller cancelled before anyone answered. */
  'cancelled',
  /** The callee was already in another call. */
  'busy',
  /** Nobody answered before the ring deadline. */
  'missed',
  /** The platform could not carry the call: answered, but media never connected within CONNECT_TIMEOUT_MS. */
  'failed',
  /** A party's signaling connection stayed down past the reconnection grace. */
  'connection-lost',
  /** Media stayed failed past the media grace, although signaling was up. */
  'ice-failed',
  /** An admin ended it (`POST /calls/:id/end`), typically a call stuck open; the reason is on its timeline. */
  'ended-by-admin',
]);
export type EndReason = z.infer<typeof EndReason>;

export const CallMedia = z.enum(['video', 'audio']);
export type CallMedia = z.infer<typeof CallMedia>;

/** Which side of a call a user is on; it also fixes the perfect-negotiation role (caller impolite). */
export const CallRole = z.enum(['caller', 'callee']);
export type CallRole = z.infer<typeof CallRole>;

/** RTCPeerConnection.iceConnectionState, as clients report it. */
export const IceConnectionState = z.enum(['new', 'checking', 'connected', 'completed', 'disconnected', 'failed', 'closed']);
export type IceConnectionState = z.infer<typeof IceConnectionState>;
export const MEDIA_DOWN_STATES: readonly IceConnectionState[] = ['disconnected', 'failed'];
export const MEDIA_UP_STATES: readonly IceConnectionState[] = ['connected', 'completed'];
