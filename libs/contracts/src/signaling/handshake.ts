import { z } from 'zod';
import { DeviceId } from '../ids.js';
import { AppState } from '../devices/presence.js';
import { ErrorCode } from '../errors/error-code.js';

/**
 * The Socket.IO `auth` payload of the namespace CONNECT packet. Open, unlike client messages: a
 * Socket.IO client library may add fields of its own to it.
 */
export const HandshakeAuth = z.object({
  token: z
    .string()
    .min(1)
    .describe(
      'Access token (JWT with sub and exp; the optional name claim is shown to callees). May instead be sent as an `Authorization: Bearer` header.',
    ),
  deviceId: DeviceId.describe('Stable id of this app install; every event for this device is addressed by it.'),
  appState: AppState.default('background').describe(
    'The app\'s state as it connects: a device whose app said "foreground" gets no VoIP push for an incoming call. Later changes: session:app-state.',
  ),
});

/**
 * Every code a refused handshake can carry in `connect_error` `data.code`, and nothing else: the
 * gateway turns any other failure into INTERNAL, so this list is the whole contract.
 */
export const CONNECT_ERROR_CODES = [
  ErrorCode.AUTH_TOKEN_MISSING,
  ErrorCode.AUTH_TOKEN_EXPIRED,
  ErrorCode.AUTH_TOKEN_INVALID,
  ErrorCode.AUTH_UNAVAILABLE,
  ErrorCode.DEVICE_ID_INVALID,
  ErrorCode.VALIDATION_FAILED,
  ErrorCode.NODE_DRAINING,
  ErrorCode.TOO_MANY_CONNECTIONS,
  ErrorCode.INTERNAL,
] as const;
export type ConnectErrorCode = (typeof CONNECT_ERROR_CODES)[number];
