import { z } from 'zod';

/**
 * Whether a device has a live socket, and whether its app says it is in the foreground. The gateway
 * writes it with a TTL and refreshes it; a crashed gateway's entries simply expire.
 */
export const AppState = z.enum(['foreground', 'background']);
export type AppState = z.infer<typeof AppState>;

export const PRESENCE_TTL_MS = 60_000;

/**
 * "This connection still carries its side of the call", refreshed by its gateway node; see
 * Timeouts.CARRIER_TTL_MS. Keyed by the connection, so a superseded socket's beats keep alive only
 * its own key, never the one the calls app checks for the party's current connection. The call is
 * the hash tag (on a Redis Cluster, a call's keys share a slot).
 */
export const carrierKey = (prefix: string, callId: string, carrierId: string) => `${prefix}carrier:{${callId}}:${carrierId}`;
/**
 * Set once per Redis dataset. Its absence means Redis lost its data (or is new), so lapsed carrier
 * keys prove nothing until gateways have had a full TTL to write them again.
 */
export const carrierWatchKey = (prefix: string) => `${prefix}carrier-watch`;
export const PRESENCE_REFRESH_MS = 20_000;
/** The user is the hash tag: one MGET reads all of a callee's devices, on a Redis Cluster too. */
export const presenceKey = (prefix: string, userId: string, deviceId: string) => `${prefix}presence:{${userId}}:${deviceId}`;

/**
 * The VoIP-push rule: every registered device is woken by a VoIP push, except one whose app holds a
 * live socket and said it is in the foreground. A backgrounded iOS app is suspended within seconds
 * while its socket still looks connected (ping timeout up to 45 s), so "connected" alone proves nothing.
 */
export const needsVoipPush = (presence: AppState | null): boolean => presence !== 'foreground';

/** Missed-call alerts go only to devices with no live socket; connected ones already heard `call:ended`. */
export const needsMissedCallAlert = (presence: AppState | null): boolean => presence === null;
