import { Inject, Injectable, Logger } from '@nestjs/common';
import { Rooms } from '#contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { CallsClient } from '../signaling/calls.client.js';
import { type SignalingNamespace, type SignalingSocket, localSockets, sameDeviceSockets } from '../signaling/signaling-socket.js';
import { ResumeTokens } from './resume-tokens.service.js';

/**
 * The calls a node's sockets carry, across connection trouble: a dropped socket starts its party's
 * grace, resume tokens are re-issued before they expire, and a draining node sends its clients away.
 */
@Injectable()
export class CallSessions {
  private readonly logger = new Logger(CallSessions.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly calls: CallsClient,
    private readonly resumeTokens: ResumeTokens,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  start(ns: SignalingNamespace): void {
    this.timer = setInterval(() => void this.refreshResumeTokens(ns), this.config.RESUME_TOKEN_TTL_MS / 2).unref();
    ns.on('carrier:superseded', (notice) => this.release(ns, notice));
  }

  /**
   * The socket is gone: every call it carried (and no other socket of that device here) starts its
   * grace. The drop names this connection, so the calls app ignores it if the party has since
   * resumed on another (a half-open socket noticed only at the ping timeout).
   */
  async dropped(ns: SignalingNamespace, socket: SignalingSocket): Promise<void> {
    const { userId, deviceId, calls } = socket.data;
    if (!userId) return; // refused at the handshake
    if (sameDeviceSockets(ns, socket).length > 0) return; // the device is still here on another socket
    await Promise.all(
      Object.keys(calls).map((callId) =>
        this.calls
          .act(callId, 'disconnected', { userId, deviceId }, socket.id)
          .catch((error: unknown) => this.logger.warn(`disconnect of ${userId}/${deviceId} from ${callId} not recorded: ${String(error)}`)),
      ),
    );
  }

  /** `socket` resumed `callId`: the device's older sockets, on any node, stop carrying it. */
  supersede(socket: SignalingSocket, callId: string): void {
    const notice = { callId, userId: socket.data.userId, deviceId: socket.data.deviceId, carrierId: socket.id };
    this.release(socket.nsp, notice);
    socket.nsp.serverSideEmit('carrier:superseded', notice);
  }

  private release(ns: SignalingNamespace, notice: { callId: string; userId: string; deviceId: string; carrierId: string }): void {
    for (const old of localSockets(ns, Rooms.device(notice.userId, notice.deviceId)))
      if (old.id !== notice.carrierId) delete old.data.calls[notice.callId];
  }

  /** SIGTERM: tell every client to reconnect (the balancer sends it to another node) and resume. */
  async drain(ns: SignalingNamespace): Promise<void> {
    const sockets = [...ns.sockets.values()];
    if (sockets.length === 0) return;
    this.logger.log(`draining ${sockets.length} socket(s)`);
    ns.local.emit('session:reconnect', { reason: 'draining' });
    await new Promise((r) => setTimeout(r, 100)); // let the frames leave before the close
    await Promise.all(
      sockets.map(async (socket) => {
        socket.disconnect(true);
        await this.dropped(ns, socket);
      }),
    );
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async refreshResumeTokens(ns: SignalingNamespace): Promise<void> {
    for (const socket of ns.sockets.values()) {
      for (const callId of Object.keys(socket.data.calls ?? {})) {
        const { token, expiresAt } = await this.resumeTokens.issue(socket.data.userId, socket.data.deviceId, callId);
        socket.emit('call:resume-token', { callId, resumeToken: token, expiresAt });
      }
    }
  }
}
