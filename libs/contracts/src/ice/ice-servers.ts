import { z } from 'zod';

/** The URI schemes RTCPeerConnection accepts (RFC 7064, RFC 7065); anything else makes it throw. */
const IceUrl = z.string().regex(/^(stun|turn|turns):\S+$/, 'must be a stun:, turn: or turns: URL');

const isTurn = (url: string) => url.startsWith('turn:') || url.startsWith('turns:');

/** One entry of RTCConfiguration.iceServers, as the apps receive it. */
export const IceServer = z
  .object({
    urls: z.array(IceUrl).min(1),
    username: z.string().min(1).optional(),
    credential: z.string().min(1).optional(),
  })
  // RTCPeerConnection rejects the whole configuration (InvalidAccessError) when a TURN URL has no credentials.
  .refine((s) => !s.urls.some(isTurn) || (s.username !== undefined && s.credential !== undefined), {
    message: 'turn: and turns: URLs need a username and a credential',
  });
export type IceServer = z.infer<typeof IceServer>;

export const IceServersView = z.object({
  iceServers: z.array(IceServer),
  ttlSeconds: z.number().int().positive(),
  /** When TURN stops accepting the credential for new allocations; apps re-fetch before an ICE restart after it. */
  expiresAt: z.iso.datetime(),
});
export type IceServersView = z.infer<typeof IceServersView>;

/**
 * 12 hours. coturn (4.6.1, checked in its source and on a real server) checks the expiry in the username
 * only when an allocation authenticates for the first time: REFRESH, CreatePermission and ChannelBind on
 * that allocation reuse the key cached in the session, so they keep working after expiry, even across a
 * stale-nonce round trip. A call therefore never loses its current relay because the credential expired.
 * What does need a live credential is every *new* allocation: the first one, one per network change
 * (Wi-Fi to cellular with continual gathering), an ICE restart, or coturn restarting. Those can come at
 * any point in a call, so the TTL should outlast the longest realistic call, or a late handover breaks.
 * 12 h covers any call with room to spare and halves the leak window of the 24 h that Twilio and the
 * TURN REST draft use; Synapse's 1 h works only because Element re-fetches periodically, which a
 * fetch-per-call iPhone app does not. Credentials name the user and the call, so abuse is traceable.
 */
export const DEFAULT_TURN_TTL_SECONDS = 12 * 60 * 60;
