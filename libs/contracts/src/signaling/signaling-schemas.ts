import { z } from 'zod';
import { CallId, DeviceId, DisplayName, IdempotencyKey, UserId } from '../ids.js';
import { MAX_CANDIDATE_BYTES, MAX_SDP_BYTES, TOO_LARGE_ISSUE } from '../limits.js';
import { CallMedia, CallRole, CallState, EndReason, IceConnectionState } from '../calls/call-state.js';
import { CallVersion } from '../calls/call-view.js';
import { IceServersView } from '../ice/ice-servers.js';
import { ErrorCode } from '../errors/error-code.js';
import { AppState } from '../devices/presence.js';
import { HandshakeAuth } from './handshake.js';

/** Byte length, not UTF-16 length: the limit protects the wire and Redis. */
const maxBytes = (max: number) => (value: string) => Buffer.byteLength(value, 'utf8') <= max;

// ---- client → server ----------------------------------------------------------------------------

export const InvitePayload = z.strictObject({
  calleeId: UserId,
  media: CallMedia,
  /** Chosen by the client per user action; resending the same key returns the same call. */
  idempotencyKey: IdempotencyKey,
});

export const CallRefPayload = z.strictObject({ callId: CallId });

/** The app moved to the foreground or background; decides whether an incoming call also sends a VoIP push. */
export const AppStatePayload = z.strictObject({ state: AppState });
/** A fresh access token for the user this socket signed in as; checked exactly as at the handshake. */
export const SessionRefreshPayload = z.strictObject({ token: HandshakeAuth.shape.token });

export const SessionDescription = z.strictObject({
  type: z.enum(['offer', 'answer']),
  sdp: z
    .string()
    .min(1)
    .refine(maxBytes(MAX_SDP_BYTES), { message: `sdp must be at most ${MAX_SDP_BYTES} bytes`, params: { kind: TOO_LARGE_ISSUE } }),
});
/** `iceRestart: true` marks an offer made with iceRestart (a network change or an ICE failure). */
export const SdpPayload = z.strictObject({ callId: CallId, description: SessionDescription, iceRestart: z.boolean().default(false) });

export const IceCandidate = z.strictObject({
  candidate: z.string().refine(maxBytes(MAX_CANDIDATE_BYTES), {
    message: `candidate must be at most ${MAX_CANDIDATE_BYTES} bytes`,
    params: { kind: TOO_LARGE_ISSUE },
  }),
  sdpMid: z.string().max(64).nullable(),
  sdpMLineIndex: z.number().int().min(0).max(1023).nullable(),
  usernameFragment: z.string().max(256).nullable().optional(),
});
/** `candidate: null` is end-of-candidates (the empty candidate of trickle ICE). */
export const IceCandidatePayload = z.strictObject({ callId: CallId, candidate: IceCandidate.nullable() });

export const MediaState = z.strictObject({
  camera: z.enum(['front', 'back']),
  videoEnabled: z.boolean(),
  audioMuted: z.boolean(),
});
export const MediaStatePayload = z.strictObject({ callId: CallId, state: MediaState });

export const IceStatePayload = z.strictObject({ callId: CallId, state: IceConnectionState });

/**
 * A compact getStats() sample (RingRTC's CallSummary fields as a template); absent = not measured.
 * Units and sources are in the descriptions, which the AsyncAPI document carries.
 */
export const QualitySample = z.strictObject({
  at: z.iso.datetime().describe('When the sample was taken (ISO 8601 UTC).'),
  rttMs: z
    .number()
    .nonnegative()
    .max(60_000)
    .describe('Round-trip time of the selected candidate pair, in milliseconds (currentRoundTripTime × 1000).')
    .optional(),
  jitterMs: z.number().nonnegative().max(60_000).describe('Inbound jitter, video or else audio, in milliseconds.').optional(),
  packetLossPct: z
    .number()
    .min(0)
    .max(100)
    .describe('Inbound packets lost since the call started, in percent: 100 × lost / (received + lost).')
    .optional(),
  inboundKbps: z
    .number()
    .nonnegative()
    .max(1_000_000)
    .describe('Bytes received over all RTP streams since the previous sample, in kbit/s; absent from the first sample.')
    .optional(),
  outboundKbps: z
    .number()
    .nonnegative()
    .max(1_000_000)
    .describe('Bytes sent over all RTP streams since the previous sample, in kbit/s; absent from the first sample.')
    .optional(),
  framesPerSecond: z.number().nonnegative().max(240).describe('Inbound video frame rate, in frames per second.').optional(),
  framesDecoded: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 31 - 1)
    .describe('Inbound video frames decoded since the call started.')
    .optional(),
  candidateType: z
    .enum(['host', 'srflx', 'prflx', 'relay'])
    .describe('Type of the local candidate of the selected pair (relay: media goes through TURN).')
    .optional(),
});
export type QualitySample = z.infer<typeof QualitySample>;
/** Every few seconds a sample; at hangup `final: true` with the call's summary. */
export const QualityPayload = z.strictObject({
  callId: CallId,
  sample: QualitySample,
  final: z
    .boolean()
    .default(false)
    .describe('True for the one summary per call (medians over its samples), sent at hangup or just after call:ended.'),
});
export type QualityPayload = z.infer<typeof QualityPayload>;

/** After a reconnect: prove you are the device that carried the call, and say what you last saw. */
export const ResumePayload = z.strictObject({
  callId: CallId,
  resumeToken: z.string().min(1).max(2048),
  /** The highest `seq` applied in order for this call (0 if none); everything after it is replayed. */
  lastSeq: z.number().int().min(0),
  /** The `epoch` that `lastSeq` belongs to; omit it if you have received no relayed message yet. */
  epoch: z.number().int().positive().optional(),
});

// ---- server → client ----------------------------------------------------------------------------

export const IncomingCallEvent = z.object({
  callId: CallId,
  version: CallVersion,
  caller: z.object({ userId: UserId, displayName: DisplayName.nullable() }),
  media: CallMedia,
  createdAt: z.iso.datetime(),
  /** After this instant the call has ended as missed; stop ringing even if the socket is silent. */
  ringDeadline: z.iso.datetime(),
  /** STUN/TURN servers for this call, with credentials minted for you. */
  iceServers: IceServersView,
});
/**
 * Relayed messages carry `seq`: 1, 2, 3… per call and recipient, with no gaps, within an `epoch`.
 * Deliver in seq order: drop a seq already seen, hold one that skips ahead until `call:resume`
 * replays the gap. A new epoch means the relay store was lost and numbering restarted: apply what
 * you hold, then start over at the new epoch.
 */
const Seq = z.number().int().positive();
/** When the relay store began (ms since 1970, from Redis' clock): later stores have larger epochs. */
export const Epoch = z.number().int().positive();
export const CallRingingEvent = z.object({ callId: CallId, version: CallVersion });
export const CallAcceptedEvent = z.object({
  callId: CallId,
  version: CallVersion,
  answeredDeviceId: DeviceId,
  /** Your role; the caller is the impolite peer of perfect negotiation and makes the first offer. */
  role: CallRole,
  /** Perfect negotiation: the polite peer (the callee) rolls back its offer when offers cross. */
  polite: z.boolean(),
  iceServers: IceServersView,
  /** Present it with `call:resume` after a reconnect; refreshed by `call:resume-token`. */
  resumeToken: z.string(),
  resumeTokenExpiresAt: z.iso.datetime(),
});
export const ElsewhereEvent = z.object({ callId: CallId, version: CallVersion });
export const CallEndedEvent = z.object({ callId: CallId, version: CallVersion, reason: EndReason });
export const RelayedSdpEvent = z.object({
  callId: CallId,
  seq: Seq,
  epoch: Epoch,
  description: SessionDescription,
  iceRestart: z.boolean(),
  /** With a restart offer: fresh credentials, since the old ones may have expired. */
  iceServers: IceServersView.optional(),
});
export const RelayedIceCandidateEvent = z.object({ callId: CallId, seq: Seq, epoch: Epoch, candidate: IceCandidate.nullable() });
export const RelayedMediaStateEvent = z.object({ callId: CallId, seq: Seq, epoch: Epoch, state: MediaState });
export const PeerReconnectingEvent = z.object({ callId: CallId, version: CallVersion, userId: UserId, graceEndsAt: z.iso.datetime() });
export const PeerResumedEvent = z.object({ callId: CallId, version: CallVersion, userId: UserId });
export const ResumeTokenEvent = z.object({ callId: CallId, resumeToken: z.string(), expiresAt: z.iso.datetime() });
/** The node is shutting down: reconnect (the balancer sends you elsewhere) and resume your call. */
export const SessionReconnectEvent = z.object({ reason: z.enum(['draining']) });

/**
 * The answering device's OK: it carries the call from now on and may relay at once, before its own
 * `call:accepted` arrives. It holds everything `call:accepted` would tell it.
 */
export const AcceptResult = z.object({
  callId: CallId,
  state: CallState,
  version: CallVersion,
  role: CallRole,
  polite: z.boolean(),
  peerDeviceId: DeviceId,
  iceServers: IceServersView,
  resumeToken: z.string(),
  resumeTokenExpiresAt: z.iso.datetime(),
});

export const ResumeResult = z.object({
  callId: CallId,
  state: CallState,
  /** The call's version now: drop lifecycle events at or below it. */
  version: CallVersion,
  role: CallRole,
  polite: z.boolean(),
  /** Null while the call still rings. */
  peerDeviceId: DeviceId.nullable(),
  /** Is the peer itself away right now (its own grace running)? */
  peerReconnecting: z.boolean(),
  iceServers: IceServersView,
  resumeToken: z.string(),
  resumeTokenExpiresAt: z.iso.datetime(),
  /** How many messages were replayed (sent before this ack, in seq order). */
  replayed: z.number().int().min(0),
  /** The relay store's current epoch; the replayed messages (and later ones) carry it. */
  epoch: Epoch,
  /**
   * False when some of what you missed cannot be replayed: the relay store was lost (a Redis
   * restart without persistence) or trimmed. Restart ICE and renegotiate instead of waiting.
   */
  replayComplete: z.boolean(),
});
export const ErrorBodySchema = z.object({
  code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  retryAfterMs: z.number().int().nonnegative().optional(),
});
export const ProtocolErrorEvent = z.object({ event: z.string(), error: ErrorBodySchema });
/** The socket's access token expires at `expiresAt`: send `session:refresh` before then, or it is closed. */
export const TokenExpiringEvent = z.object({ expiresAt: z.iso.datetime() });
/** Why the gateway is about to close this socket (it disconnects right after sending this). */
export const SessionClosingEvent = z.object({ error: ErrorBodySchema });

export type InvitePayload = z.infer<typeof InvitePayload>;
export type CallRefPayload = z.infer<typeof CallRefPayload>;
export type AppStatePayload = z.infer<typeof AppStatePayload>;
export type SessionRefreshPayload = z.infer<typeof SessionRefreshPayload>;
export type SdpPayload = z.infer<typeof SdpPayload>;
export type IceCandidatePayload = z.infer<typeof IceCandidatePayload>;
export type MediaState = z.infer<typeof MediaState>;
export type MediaStatePayload = z.infer<typeof MediaStatePayload>;
export type IceStatePayload = z.infer<typeof IceStatePayload>;
export type ResumePayload = z.infer<typeof ResumePayload>;
export type IncomingCallEvent = z.infer<typeof IncomingCallEvent>;
export type CallAcceptedEvent = z.infer<typeof CallAcceptedEvent>;
export type CallEndedEvent = z.infer<typeof CallEndedEvent>;
