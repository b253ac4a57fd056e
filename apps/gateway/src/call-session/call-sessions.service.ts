import { Inject, Injectable, Logger } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { CallsClient } from '../signaling/calls.client.js';
import { type SignalingNamespace, type SignalingSocket, sameDeviceSockets } from '../signaling/signaling-socket.js';
import { CarrierHeartbeat } from './carrier-heartbeat.service.js';
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
    private readonly carriers: CarrierHeartbeat,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  start(ns: SignalingNamespace): void {
    this.timer = setInterval(() => void this.refreshResumeTokens(ns), this.config.RESUME_TOKEN_TTL_MS / 2).unref();
  }

  /** The socket is gone: every call it carried (and no other socket of that device here) starts its grace. */
  async dropped(ns: SignalingNamespace, socket: SignalingSocket): Promise<void> {
    const { userId, deviceId, calls } = socket.data;
    if (!userId) return; // refused at the handshake
    if (sameDeviceSockets(ns, socket).length > 0) return; // the device is still here on another socket
    await Promise.all(
      Object.keys(calls).map(async (callId) => {
        // A drop noticed late (ping timeout) after the party already resumed on another node is stale.
        if (await this.carriers.carriedElsewhere(callId, userId)) return;
        await this.calls
          .act(callId, 'disconnected', { userId, deviceId })
          .catch((error: unknown) => this.logger.warn(`disconnect of ${userId}/${deviceId} from ${callId} not recorded: ${String(error)}`));
      }),
    );
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
