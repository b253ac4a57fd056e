import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, type ClientResult, ErrorCode, type SessionRefreshPayload } from '#contracts';
import { JwtVerifier } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import type { SignalingSocket } from '../signaling/signaling-socket.js';

/** setTimeout's longest delay; a token that lives longer is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A socket lives no longer than the access token it presented: TOKEN_EXPIRY_WARNING_MS before the
 * token expires it gets `session:token-expiring`, and at expiry `session:closing` (AUTH_TOKEN_EXPIRED)
 * and a disconnect, unless `session:refresh` brought a later token for the same user. The calls it
 * carried are not ended: the disconnect starts their grace, and the client reconnects and resumes.
 *
 * One unref'd timer per socket, kept outside `socket.data` (which other nodes read through the
 * Redis adapter): it is all an idle socket costs, and it never holds the process open.
 */
@Injectable()
export class SocketTokens {
  private readonly logger = new Logger(SocketTokens.name);
  private readonly timers = new WeakMap<SignalingSocket, NodeJS.Timeout>();
  private readonly warningMs: number;

  constructor(
    private readonly verifier: JwtVerifier,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.warningMs = config.TOKEN_EXPIRY_WARNING_MS;
  }

  /** From the handshake on; the warning of a token with less than the lead left goes out at once. */
  watch(socket: SignalingSocket): void {
    this.schedule(socket, false);
  }

  forget(socket: SignalingSocket): void {
    clearTimeout(this.timers.get(socket));
    this.timers.delete(socket);
  }

  /**
   * A token no later than the one held changes nothing (and is not warned about again), so a
   * provider that hands back its cached token cannot make the warning loop.
   */
  async refresh(socket: SignalingSocket, { token }: SessionRefreshPayload): Promise<ClientResult<'session:refresh'>> {
    const { userId, deviceId } = socket.data;
    const identity = await this.verifier.verify(token, userId).catch((error: unknown) => {
      const code = error instanceof AppError ? error.code : String(error);
      this.logger.warn(`session:refresh of socket ${socket.id} (${userId}/${deviceId}) refused: ${code}`);
      throw error;
    });
    if (identity.expiresAt > socket.data.tokenExpiresAt && socket.connected) {
      socket.data.tokenExpiresAt = identity.expiresAt;
      socket.data.displayName = identity.displayName;
      this.forget(socket);
      this.schedule(socket, false);
    }
    return { expiresAt: iso(socket.data.tokenExpiresAt) };
  }

  private schedule(socket: SignalingSocket, warned: boolean): void {
    const left = socket.data.tokenExpiresAt - Date.now();
    const wait = Math.min(Math.max(warned ? left : left - this.warningMs, 0), MAX_TIMER_MS);
    this.timers.set(socket, setTimeout(() => this.due(socket, warned), wait).unref());
  }

  private due(socket: SignalingSocket, warned: boolean): void {
    if (!socket.connected) return;
    const left = socket.data.tokenExpiresAt - Date.now();
    if (left <= 0) return this.expire(socket);
    if (!warned && left <= this.warningMs) {
      socket.emit('session:token-expiring', { expiresAt: iso(socket.data.tokenExpiresAt) });
      warned = true;
    }
    this.schedule(socket, warned);
  }

  private expire(socket: SignalingSocket): void {
    const { userId, deviceId, tokenExpiresAt } = socket.data;
    this.logger.log(`closing socket ${socket.id} of ${userId}/${deviceId}: its token expired at ${iso(tokenExpiresAt)}`);
    const error = new AppError(ErrorCode.AUTH_TOKEN_EXPIRED, 'The access token of this socket expired; reconnect with a fresh one.');
    socket.emit('session:closing', { error: error.toBody() });
    this.timers.delete(socket);
    socket.disconnect(true);
  }
}
