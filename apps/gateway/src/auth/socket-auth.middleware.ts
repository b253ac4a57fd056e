import { AppError, AppState, DeviceId, ErrorCode, Rooms } from '#contracts';
import type { SignalingSocket } from '../signaling/signaling-socket.js';
import type { JwtVerifier } from '#infra';

type Next = (err?: Error) => void;

/** Socket.IO's connect_error carries `message` plus `data`; clients switch on `data.code`. */
function refusal(error: AppError): Error & { data: { code: string; message: string } } {
  return Object.assign(new Error(error.message), { data: error.toBody() });
}

function bearer(socket: SignalingSocket): string | undefined {
  const fromAuth = (socket.handshake.auth as Record<string, unknown>).token;
  if (typeof fromAuth === 'string') return fromAuth;
  const header = socket.handshake.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

/**
 * Authenticates at the handshake: Nest guards do not run on connection (nest#882), so a bad token
 * must be refused here, before the socket joins any room.
 */
export function socketAuthMiddleware(verifier: JwtVerifier, draining: () => boolean) {
  return async (socket: SignalingSocket, next: Next): Promise<void> => {
    try {
      // A node that is shutting down takes nobody new; the client retries and lands elsewhere.
      if (draining()) throw new AppError(ErrorCode.NODE_DRAINING, 'This node is shutting down; connect again.');
      const identity = await verifier.verify(bearer(socket));
      const device = DeviceId.safeParse((socket.handshake.auth as Record<string, unknown>).deviceId);
      if (!device.success)
        throw new AppError(
          ErrorCode.DEVICE_ID_INVALID,
          'Connect with auth.deviceId: a stable id of this device (1-128 of A-Z a-z 0-9 . _ ~ -).',
        );
      const auth = socket.handshake.auth as Record<string, unknown>;
      const appState = AppState.safeParse(auth.appState ?? 'background');
      if (!appState.success) throw new AppError(ErrorCode.VALIDATION_FAILED, 'auth.appState must be "foreground" or "background".');
      socket.data = {
        userId: identity.userId,
        deviceId: device.data,
        displayName: identity.displayName,
        calls: {},
        appState: appState.data,
      };
      await socket.join([Rooms.user(identity.userId), Rooms.device(identity.userId, device.data)]);
      next();
    } catch (error) {
      next(refusal(error instanceof AppError ? error : new AppError(ErrorCode.INTERNAL, 'Authentication failed unexpectedly.')));
    }
  };
}
