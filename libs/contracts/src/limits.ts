import type { ClientEventName } from './signaling/signaling-events.js';

/** Wire limits. A full SDP for audio+video with simulcast stays well below 16 KiB; 64 KiB leaves room. */
export const MAX_SDP_BYTES = 64 * 1024;
/** An ICE candidate line is ~100-200 bytes; 1 KiB rejects garbage without hurting real candidates. */
export const MAX_CANDIDATE_BYTES = 1024;
/**
 * Socket.IO's maxHttpBufferSize: the largest legal message (an SDP) plus envelope. Anything bigger is
 * cut by the transport before it reaches a handler, so it must stay above MAX_SDP_BYTES.
 */
export const MAX_SOCKET_MESSAGE_BYTES = MAX_SDP_BYTES + 16 * 1024;

/** zod issue param marking a refinement that failed because a value is too big (→ PAYLOAD_TOO_LARGE). */
export const TOO_LARGE_ISSUE = 'too-large';

/**
 * Keep-alive connections each gateway holds to one calls instance. Transitions are short, but one may
 * wait on a row lock, so requests get connections of their own rather than a pipeline behind it.
 */
export const CALLS_CLIENT_CONNECTIONS = 32;

/**
 * Client events by the rate limit that counts them. Each class has its own per-socket budget, so a
 * chatty relay cannot starve a hangup, nor a flood of `call:state` the relays.
 */
export const EVENT_CLASS = {
  'call:invite': 'lifecycle',
  'call:ringing': 'lifecycle',
  'call:accept': 'lifecycle',
  'call:decline': 'lifecycle',
  'call:cancel': 'lifecycle',
  'call:hangup': 'lifecycle',
  'call:state': 'lifecycle',
  'call:ice-state': 'lifecycle',
  'call:ice-servers': 'lifecycle',
  'session:app-state': 'lifecycle',
  'session:refresh': 'lifecycle',
  'call:sdp': 'relay',
  'call:ice-candidate': 'relay',
  'call:media-state': 'relay',
  'call:quality': 'quality',
  'call:resume': 'resume',
} as const satisfies Record<ClientEventName, string>;
export type EventClass = (typeof EVENT_CLASS)[ClientEventName];

/**
 * The budget one message is charged to. A call's final quality summary is sent once, at its end,
 * like a hangup: it counts as lifecycle, so samples that used up the quality budget cannot cost the
 * call record its summary.
 */
export function eventClassOf(event: ClientEventName, payload: unknown): EventClass {
  if (event === 'call:quality' && (payload as { final?: unknown } | null)?.final === true) return 'lifecycle';
  return EVENT_CLASS[event];
}

/** A budget: `points` actions per `seconds`; written `points/seconds` in the env (e.g. `200/1`). */
export interface RateLimit {
  points: number;
  seconds: number;
}

/**
 * Default limits; each has an env variable (docs/security.md lists them with the reasoning). They
 * sit above what a real call needs and below the abuse measured in issue 12.
 */
export const DEFAULT_LIMITS = {
  /** Per socket. A call is ~6 lifecycle messages; resyncs (`call:state`) come one per late event or refused relay. */
  RATE_LIMIT_LIFECYCLE: { points: 60, seconds: 10 },
  /** Per socket. Trickle ICE peaks at a few dozen candidates in a second; the flood was 725/s. */
  RATE_LIMIT_RELAY: { points: 200, seconds: 1 },
  /** Per socket. The SDK samples every few seconds, plus one final summary per call. */
  RATE_LIMIT_QUALITY: { points: 10, seconds: 10 },
  /** Per socket. One resume per carried call after each reconnect. */
  RATE_LIMIT_RESUME: { points: 5, seconds: 30 },
  /** Per socket: this many refusals within the window and the socket is closed. */
  RATE_LIMIT_STRIKES: { points: 50, seconds: 10 },
  /** Per caller (all gateway nodes). Redialling a few times a minute stays well inside. */
  RATE_LIMIT_INVITE_CALLER: { points: 20, seconds: 60 },
  /** Per caller–callee pair (all gateway nodes). */
  RATE_LIMIT_INVITE_PAIR: { points: 6, seconds: 60 },
  /** Per callee device: VoIP pushes (and, counted apart, missed-call alerts) that may ring it. */
  PUSH_BUDGET_PER_DEVICE: { points: 5, seconds: 300 },
} as const satisfies Record<string, RateLimit>;

/** Registered devices per user; registering one more removes the least recently registered. */
export const DEFAULT_MAX_DEVICES_PER_USER = 20;
/** Sockets one gateway node accepts per device (a reconnect may overlap its half-open predecessor). */
export const DEFAULT_MAX_SOCKETS_PER_DEVICE = 4;
/** Sockets one gateway node accepts per user, over all of its devices. */
export const DEFAULT_MAX_SOCKETS_PER_USER = 20;
/**
 * Bytes the replay store keeps for one recipient of one call (a stream, in one epoch; every stored
 * message's event name and JSON payload count, and nothing is given back when a call's candidates are
 * trimmed). A real call stores ~5 KiB per SDP and ~250 B per candidate, so one ICE restart costs a
 * side ~15 KiB: 1 MiB holds dozens of restarts. Issue 12 stored 12.6 MiB in one stream, and the
 * count cap alone allowed ~315 MiB. A relay that would pass it is refused RELAY_QUOTA_EXCEEDED.
 */
export const DEFAULT_RELAY_STORE_MAX_BYTES = 1024 * 1024;
/**
 * Bytes of `call:sdp` one sender may relay in one call (its stream's SDP share, same counting). Thirty
 * or more SDPs of a real call (offers, answers and their ICE restarts), four at the largest legal SDP:
 * so a stream of SDPs the size of issue 12's (60 KiB) stops at the fifth.
 */
export const DEFAULT_RELAY_SDP_MAX_BYTES = 256 * 1024;
/**
 * A resume replays in pages of at most this many messages and bytes (one XRANGE each; a page goes out
 * to the client, and leaves the node's buffers, before the next is read): a resume holds one page in
 * memory, not a stream. A page can pass the bytes by one message, so one too-large message still goes.
 */
export const REPLAY_PAGE_MESSAGES = 100;
export const REPLAY_PAGE_BYTES = 128 * 1024;

/** How many recently carried calls a socket remembers (for the final quality summary). */
export const CARRIED_CALLS_REMEMBERED = 8;
