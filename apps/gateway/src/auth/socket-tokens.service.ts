import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { AppError, type ClientResult, ErrorCode, type SessionRefreshPayload, Timeouts } from '#contracts';
import { JwtVerifier } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import type { SignalingSocket } from '../signaling/signaling-socket.js';

const TICK_MS = Timeouts.TOKEN_CHECK_INTERVAL_MS;
/** The tick a moment is due in: the first one that starts at or after it, so nothing comes early. */
const tickOf = (ms: number) => Math.ceil(ms / TICK_MS);
/** The last tick that has started by `ms`. */
const tickBy = (ms: number) => Math.floor(ms / TICK_MS);
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A socket lives no longer than the access token it presented: TOKEN_EXPIRY_WARNING_MS before the
 * token expires it gets `session:token-expiring`, and at expiry `session:closing` (AUTH_TOKEN_EXPIRED)
 * and a disconnect, unless `session:refresh` brought a later token for the same user. The calls it
 * carried are not ended: the disconnect starts their grace, and the client reconnects and resumes.
 *
 * Sockets wait in sets keyed by the tick their warning or expiry falls in, swept by one unref'd
 * timer per node every TOKEN_CHECK_INTERVAL_MS: a set entry is what an idle socket costs here, where
 * a timer of its own cost about 0.3 KiB (docs/performance.md, idle sockets). Which sets a socket is
 * in follows from its token's expiry, so nothing else is kept per socket, and nothing in
 * `socket.data` (which other nodes read through the Redis adapter).
 */
@Injectable()
export class SocketTokens implements OnModuleDestroy {
  private readonly logger = new Logger(SocketTokens.name);
  private readonly warnings = new Map<number, Set<SignalingSocket>>();
  private readonly expiries = new Map<number, Set<SignalingSocket>>();
  private readonly warningMs: number;
  /** The last tick swept; later ticks are still to come. */
  private swept = tickBy(Date.now());
  private readonly sweeper = setInterval(() => this.sweep(), TICK_MS).unref();

  constructor(
    private readonly verifier: JwtVerifier,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.warningMs = config.TOKEN_EXPIRY_WARNING_MS;
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** From the handshake on; a token with less than the lead left is warned about at the next tick. */
  watch(socket: SignalingSocket): void {
    const expiresAt = socket.data.tokenExpiresAt;
    this.add(this.warnings, expiresAt - this.warningMs, socket);
    this.add(this.expiries, expiresAt, socket);
  }

  forget(socket: SignalingSocket): void {
    const expiresAt = socket.data.tokenExpiresAt;
    this.remove(this.warnings, expiresAt - this.warningMs, socket);
    this.remove(this.expiries, expiresAt, socket);
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
      this.forget(socket);
      socket.data.tokenExpiresAt = identity.expiresAt;
      socket.data.displayName = identity.displayName;
      this.watch(socket);
    }
    return { expiresAt: iso(socket.data.tokenExpiresAt) };
  }

  /** Into the set of the tick `at` falls in, or of the next tick to sweep if that one has passed. */
  private add(sets: Map<number, Set<SignalingSocket>>, at: number, socket: SignalingSocket): void {
    const tick = Math.max(tickOf(at), this.swept + 1);
    let set = sets.get(tick);
    if (!set) sets.set(tick, (set = new Set()));
    set.add(socket);
  }

  private remove(sets: Map<number, Set<SignalingSocket>>, at: number, socket: SignalingSocket): void {
    const tick = Math.max(tickOf(at), this.swept + 1);
    const set = sets.get(tick);
    if (set?.delete(socket) && set.size === 0) sets.delete(tick);
  }

  private sweep(): void {
    const now = tickBy(Date.now());
    for (let tick = this.swept + 1; tick <= now; tick++) {
      this.swept = tick;
      for (const socket of this.take(this.warnings, tick)) if (socket.connected) this.warn(socket);
      for (const socket of this.take(this.expiries, tick)) if (socket.connected) this.expire(socket);
    }
  }

  private take(sets: Map<number, Set<SignalingSocket>>, tick: number): Iterable<SignalingSocket> {
    const set = sets.get(tick);
    sets.delete(tick);
    return set ?? [];
  }

  private warn(socket: SignalingSocket): void {
    socket.emit('session:token-expiring', { expiresAt: iso(socket.data.tokenExpiresAt) });
  }

  private expire(socket: SignalingSocket): void {
    const { userId, deviceId, tokenExpiresAt } = socket.data;
    this.logger.log(`closing socket ${socket.id} of ${userId}/${deviceId}: its token expired at ${iso(tokenExpiresAt)}`);
    const error = new AppError(ErrorCode.AUTH_TOKEN_EXPIRED, 'The access token of this socket expired; reconnect with a fresh one.');
    socket.emit('session:closing', { error: error.toBody() });
    socket.disconnect(true);
  }
}
