import { z } from 'zod';

/**
 * Whether a device has a live socket, and whether its app says it is in the foreground. The gateway
 * writes it with a TTL and refreshes it; a crashed gateway's entries simply expire.
 */
export const AppState = z.enum(['foreground', 'background']);
export type AppState = z.infer<typeof AppState>;

export const PRESENCE_TTL_MS = 60_000;

/** Which gateway node carries a party's side of a call; see Timeouts.CARRIER_TTL_MS. */
export const carrierKey = (prefix: string, callId: string, userId: string) => `${prefix}carrier:${callId}:${userId}`;
export const PRESENCE_REFRESH_MS = 20_000;
export const presenceKey = (prefix: string, userId: string, deviceId: string) => `${prefix}presence:${userId}:${deviceId}`;

/**
 * The VoIP-push rule: every registered device is woken by a VoIP push, except one whose app holds a
 * live socket and said it is in the foreground. A backgrounded iOS app is suspended within seconds
 * while its socket still looks connected (ping timeout up to 45 s), so "connected" alone proves nothing.
 */
export const needsVoipPush = (presence: AppState | null): boolean => presence !== 'foreground';

/** Missed-call alerts go only to devices with no live socket; connected ones already heard `call:ended`. */
export const needsMissedCallAlert = (presence: AppState | null): boolean => presence === null;
