import { z } from 'zod';
import { CallId } from '../ids.js';
import { CallRole, CallState } from '../calls/call-state.js';
import { AppState } from '../devices/presence.js';
import { IceServersView } from '../ice/ice-servers.js';
import type { Ack } from './ack.js';
import { CallStateView } from '../devices/device.js';
import {
  AcceptResult,
  AppStatePayload,
  CallAcceptedEvent,
  CallEndedEvent,
  CallRefPayload,
  CallRingingEvent,
  ElsewhereEvent,
  IceCandidatePayload,
  IceStatePayload,
  IncomingCallEvent,
  InvitePayload,
  MediaStatePayload,
  PeerReconnectingEvent,
  PeerResumedEvent,
  QualityPayload,
  ProtocolErrorEvent,
  RelayedIceCandidateEvent,
  RelayedMediaStateEvent,
  RelayedSdpEvent,
  ResumePayload,
  ResumeResult,
  ResumeTokenEvent,
  SdpPayload,
  SessionClosingEvent,
  SessionReconnectEvent,
  SessionRefreshPayload,
  TokenExpiringEvent,
} from './signaling-schemas.js';

/** Socket.IO namespace of protocol v1. A breaking change gets a new namespace. */
export const SIGNALING_NAMESPACE = '/signaling/v1';

export const InviteResult = z.object({
  callId: CallId,
  state: CallState,
  role: CallRole,
  /** True when this invite crossed the callee's invite to you and joined that call (glare). */
  merged: z.boolean(),
  /** When the call ends as missed if nobody answers. */
  ringDeadline: z.iso.datetime(),
  /** For the caller of a ringing call, or the device whose invite was merged (glare): resume after a reconnect. */
  resumeToken: z.string().nullable(),
});
export const TransitionResult = z.object({ callId: CallId, state: CallState });
export const RelayResult = z.object({ callId: CallId });
export const AppStateResult = z.object({ state: AppState });
/** When the token now held expires (the later of the old and the new one's). */
export const RefreshResult = z.object({ expiresAt: z.iso.datetime() });
export const IceServersResult = IceServersView;

/**
 * Client → server messages: the one definition the gateway validates against, the typed event maps
 * are derived from, and the AsyncAPI document is checked against.
 */
export const ClientEvents = {
  'call:invite': { payload: InvitePayload, result: InviteResult, summary: 'Caller starts a call.' },
  'call:ringing': { payload: CallRefPayload, result: TransitionResult, summary: 'A callee device confirms it is ringing.' },
  'call:accept': {
    payload: CallRefPayload,
    result: AcceptResult,
    summary: 'A callee device answers; on ok it carries the call and may relay at once.',
  },
  'call:decline': { payload: CallRefPayload, result: TransitionResult, summary: 'A callee device declines.' },
  'call:cancel': { payload: CallRefPayload, result: TransitionResult, summary: 'Caller gives up before anyone answers.' },
  'call:hangup': { payload: CallRefPayload, result: TransitionResult, summary: 'Either party ends an active call.' },
  'call:sdp': { payload: SdpPayload, result: RelayResult, summary: 'SDP offer or answer for the peer.' },
  'call:ice-candidate': { payload: IceCandidatePayload, result: RelayResult, summary: 'Trickle ICE candidate (null: end of candidates).' },
  'call:media-state': { payload: MediaStatePayload, result: RelayResult, summary: 'Camera facing, video on/off, microphone muted.' },
  'call:ice-state': {
    payload: IceStatePayload,
    result: RelayResult,
    summary: 'Your RTCPeerConnection.iceConnectionState changed (drives the media grace).',
  },
  'call:ice-servers': {
    payload: CallRefPayload,
    result: IceServersResult,
    summary: 'Fresh STUN/TURN credentials, e.g. before an ICE restart.',
  },
  'call:quality': {
    payload: QualityPayload,
    result: RelayResult,
    summary:
      'A connection-quality sample from getStats every few seconds (final: the summary at hangup), kept on the call for admins; not relayed. Acked ok once valid.',
  },
  'call:state': {
    payload: CallRefPayload,
    result: CallStateView,
    summary: "The call's current state, to resync when an expected event is late or a relay is refused.",
  },
  'call:resume': {
    payload: ResumePayload,
    result: ResumeResult,
    summary: 'Back after a dropped socket: rejoin the call and get what you missed.',
  },
  'session:app-state': {
    payload: AppStatePayload,
    result: AppStateResult,
    summary: 'The app entered the foreground or background (a foreground app gets no VoIP push).',
  },
  'session:refresh': {
    payload: SessionRefreshPayload,
    result: RefreshResult,
    summary:
      'A fresh access token for the same user, checked as at the handshake, so the socket outlives the old one (answer to session:token-expiring).',
  },
} as const;

/** Server → client messages. */
export const ServerEvents = {
  'call:incoming': { payload: IncomingCallEvent, summary: 'To every connected device of the callee.' },
  'call:ringing': { payload: CallRingingEvent, summary: 'To the caller: a callee device is ringing.' },
  'call:accepted': { payload: CallAcceptedEvent, summary: 'To the caller and to the answering device.' },
  'call:answered-elsewhere': { payload: ElsewhereEvent, summary: "To the callee's other devices: stop ringing." },
  'call:declined-elsewhere': { payload: ElsewhereEvent, summary: "To the callee's other devices: stop ringing." },
  'call:ended': {
    payload: CallEndedEvent,
    summary:
      "The call is over, with the reason: to the caller's device and to every callee device still involved (the answering one, or all while ringing; only the decliner after a decline; none for busy).",
  },
  'call:sdp': { payload: RelayedSdpEvent, summary: "The peer's SDP offer or answer." },
  'call:ice-candidate': { payload: RelayedIceCandidateEvent, summary: "The peer's ICE candidate." },
  'call:media-state': { payload: RelayedMediaStateEvent, summary: "The peer's media state." },
  'call:peer-reconnecting': {
    payload: PeerReconnectingEvent,
    summary: "The peer's connection dropped; it has until graceEndsAt to come back.",
  },
  'call:peer-resumed': { payload: PeerResumedEvent, summary: 'The peer is back in the call.' },
  'call:resume-token': { payload: ResumeTokenEvent, summary: 'A fresh resume token for a call you carry.' },
  'session:reconnect': { payload: SessionReconnectEvent, summary: 'This gateway node is draining: reconnect and resume.' },
  'session:token-expiring': {
    payload: TokenExpiringEvent,
    summary: "This socket's access token expires at expiresAt (sent TOKEN_EXPIRY_WARNING_MS before): send session:refresh.",
  },
  'session:closing': {
    payload: SessionClosingEvent,
    summary:
      'The gateway closes this socket right after this event: its token expired without a refresh (AUTH_TOKEN_EXPIRED), or it kept breaking a rate limit (RATE_LIMITED). Calls are not ended: reconnect and resume.',
  },
  'protocol:error': { payload: ProtocolErrorEvent, summary: 'A message that could not be acknowledged (sent without an ack callback).' },
} as const;

export type ClientEventName = keyof typeof ClientEvents;
export type ServerEventName = keyof typeof ServerEvents;
export type ClientPayload<E extends ClientEventName> = z.input<(typeof ClientEvents)[E]['payload']>;
export type ClientResult<E extends ClientEventName> = z.infer<(typeof ClientEvents)[E]['result']>;
export type ServerPayload<E extends ServerEventName> = z.infer<(typeof ServerEvents)[E]['payload']>;

export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: ClientPayload<E>, ack: (response: Ack<ClientResult<E>>) => void) => void;
};
export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerPayload<E>) => void;
};

export const isClientEventName = (name: string): name is ClientEventName => Object.prototype.hasOwnProperty.call(ClientEvents, name);

/** What the gateway keeps on every authenticated socket (`socket.data`). */
export interface SocketSession {
  userId: string;
  deviceId: string;
  displayName: string | null;
  /**
   * Calls this device carries, each with its peer's device room (null while its outgoing call rings).
   * Set by the node that holds the socket when its accept, invite or resume is acknowledged (and
   * when it delivers `accepted`), so a relay needs no lookup and the receiving node no state.
   */
  calls: Record<string, string | null>;
  /**
   * The last few calls this socket carried, newest last: a final `call:quality` summary comes just
   * after `call:ended`, when `calls` no longer holds the call, and must still be accepted.
   */
  carried: string[];
  /** When the access token this socket presented (at the handshake or by `session:refresh`) expires, in epoch ms. */
  tokenExpiresAt: number;
  /** Declared by the app (handshake `auth.appState`, then `session:app-state`); background if unsaid. */
  appState: AppState;
}
