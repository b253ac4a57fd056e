import { AppError, CONNECT_ERROR_CODES, ErrorCode, HandshakeAuth, Rooms } from '#contracts';
import type { SignalingSocket } from '../signaling/signaling-socket.js';
import type { JwtVerifier } from '#infra';
import type { GatewayConfig } from '../config/gateway.config.js';

type Next = (err?: Error) => void;
type SocketCaps = Pick<GatewayConfig, 'MAX_SOCKETS_PER_DEVICE' | 'MAX_SOCKETS_PER_USER'>;

/**
 * Refused rather than dropping the oldest: the oldest may be the one carrying a call, and a
 * reconnect that overlaps its half-open predecessor stays well within the cap. Counted on this node
 * (its adapter's rooms), which bounds what one node holds for one user without a Redis round trip.
 */
function refuseOverCap(socket: SignalingSocket, userId: string, deviceId: string, caps: SocketCaps): void {
  const held = (room: string) => socket.nsp.adapter.rooms.get(room)?.size ?? 0;
  if (held(Rooms.device(userId, deviceId)) >= caps.MAX_SOCKETS_PER_DEVICE || held(Rooms.user(userId)) >= caps.MAX_SOCKETS_PER_USER)
    throw new AppError(ErrorCode.TOO_MANY_CONNECTIONS, 'Too many connections for this device or user; close one first.');
}

const UNEXPECTED = new AppError(ErrorCode.INTERNAL, 'Authentication failed unexpectedly.');
const documented = (error: unknown): error is AppError =>
  error instanceof AppError && (CONNECT_ERROR_CODES as readonly string[]).includes(error.code);

/**
 * Socket.IO's connect_error carries `message` plus `data`; clients switch on `data.code`, so only
 * the codes documented for a handshake leave here.
 */
function refusal(error: unknown): Error & { data: { code: string; message: string } } {
  const known = documented(error) ? error : UNEXPECTED;
  return Object.assign(new Error(known.message), { data: known.toBody() });
}

/** Told of each refused handshake, with the code the client gets and what caused it. */
export type OnRefused = (socket: SignalingSocket, code: string, cause: unknown) => void;

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
export function socketAuthMiddleware(verifier: JwtVerifier, draining: () => boolean, caps: SocketCaps, onRefused: OnRefused) {
  return async (socket: SignalingSocket, next: Next): Promise<void> => {
    try {
      // A node that is shutting down takes nobody new; the client retries and lands elsewhere.
      if (draining()) throw new AppError(ErrorCode.NODE_DRAINING, 'This node is shutting down; connect again.');
      const identity = await verifier.verify(bearer(socket));
      const auth = socket.handshake.auth as Record<string, unknown>;
      const device = HandshakeAuth.shape.deviceId.safeParse(auth.deviceId);
      if (!device.success)
        throw new AppError(
          ErrorCode.DEVICE_ID_INVALID,
          'Connect with auth.deviceId: a stable id of this device (1-128 of A-Z a-z 0-9 . _ ~ -).',
        );
      const appState = HandshakeAuth.shape.appState.safeParse(auth.appState ?? undefined);
      if (!appState.success) throw new AppError(ErrorCode.VALIDATION_FAILED, 'auth.appState must be "foreground" or "background".');
      refuseOverCap(socket, identity.userId, device.data, caps);
      socket.data = {
        userId: identity.userId,
        deviceId: device.data,
        displayName: identity.displayName,
        tokenExpiresAt: identity.expiresAt,
        calls: {},
        carried: [],
        appState: appState.data,
      };
      await socket.join([Rooms.user(identity.userId), Rooms.device(identity.userId, device.data)]);
      next();
    } catch (error) {
      const refused = refusal(error);
      onRefused(socket, refused.data.code, error);
      next(refused);
    }
  };
}
