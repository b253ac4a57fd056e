import type { IceServer } from '#contracts';

export type NoMediaCause = 'relay-without-turn' | 'no-turn' | 'turn-unreachable';

/** An answered call whose media has not connected after `afterMs`, and the likeliest reason. */
export interface NoMedia {
  afterMs: number;
  cause: NoMediaCause;
  hint: string;
}

const isTurn = (url: string) => url.startsWith('turn:') || url.startsWith('turns:');

/** The likeliest reason media has not connected, from the ICE servers the platform handed out. */
export function diagnoseNoMedia(iceServers: readonly IceServer[], policy: RTCIceTransportPolicy, afterMs: number): NoMedia {
  const turn = iceServers.some((s) => s.urls.some(isTurn));
  if (!turn && policy === 'relay')
    return {
      afterMs,
      cause: 'relay-without-turn',
      hint: 'Relay-only was forced, but the platform handed out no TURN server: set TURN_URLS and TURN_SECRET, or drop relay-only.',
    };
  if (!turn)
    return {
      afterMs,
      cause: 'no-turn',
      hint: 'No TURN server is configured (TURN_URLS, TURN_SECRET): devices behind different NATs or firewalls cannot reach each other without one.',
    };
  return {
    afterMs,
    cause: 'turn-unreachable',
    hint: "Media did not connect even with TURN: check that the TURN server's URLs, ports and external IP are reachable from both devices.",
  };
}
