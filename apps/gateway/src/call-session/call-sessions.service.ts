import { Inject, Injectable, Logger } from '@nestjs/common';
import { Rooms, Timeouts } from '#contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { CallsClient } from '../signaling/calls.client.js';
import {
  type SignalingNamespace,
  type SignalingSocket,
  type SupersedeNotice,
  localSockets,
  sameDeviceSockets,
} from '../signaling/signaling-socket.js';
import { CallOutbox } from './call-outbox.service.js';
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
    private readonly outbox: CallOutbox,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  start(ns: SignalingNamespace): void {
    this.timer = setInterval(() => this.refreshResumeTokens(ns), this.config.RESUME_TOKEN_TTL_MS / 2).unref();
    // A node from before the fence sends no ack callback: release all the same. A node that could not
    // release (Redis down) does not answer, so the resume treats it as gone.
    ns.on('carrier:superseded', (notice, ack) => {
      this.release(ns, notice).then(
        () => (typeof ack === 'function' ? ack(this.outbox.node) : undefined),
        (error: unknown) => this.logger.warn({ msg: 'superseded sockets not released', callId: notice.callId, err: String(error) }),
      );
    });
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
          .catch((error: unknown) => this.logger.warn({ msg: 'disconnect not recorded', callId, userId, deviceId, err: String(error) })),
      ),
    );
  }

  /**
   * `socket` resumed `callId`: the device's older sockets, on any node, stop carrying it, and what
   * they or the peer's sockets already numbered in the call is stored before this resolves, so the
   * replay that follows holds every message sent before the resume and the new socket numbers on
   * from there. A stream last numbered on a node that did not answer (dead, or slow) jumps ahead,
   * since that node may have forwarded what it never stored. False when some node did not confirm
   * in time: the replay may then be incomplete.
   */
  async supersede(socket: SignalingSocket, callId: string): Promise<boolean> {
    const { userId, deviceId } = socket.data;
    const peer = socket.data.calls[callId] ?? null;
    const notice: SupersedeNotice = { callId, userId, deviceId, carrierId: socket.id, peer };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), Timeouts.SUPERSEDE_FENCE_MS)));
    try {
      const remote = socket.nsp.serverSideEmitWithAck('carrier:superseded', notice);
      const [, answered] = await Promise.all([this.release(socket.nsp, notice), Promise.race([remote, late])]);
      if (peer) await this.outbox.takeOver(callId, peer, answered ?? []);
      if (!answered) this.logger.warn({ msg: 'not every gateway node confirmed the resume in time', callId, userId, deviceId });
      return answered !== null;
    } catch (error) {
      this.logger.warn({ msg: 'resume not confirmed by every node', callId, userId, deviceId, err: String(error) });
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private async release(ns: SignalingNamespace, notice: SupersedeNotice): Promise<void> {
    const older = localSockets(ns, Rooms.device(notice.userId, notice.deviceId)).filter((s) => s.id !== notice.carrierId);
    for (const old of older) delete old.data.calls[notice.callId];
    const senders = notice.peer ? [...older, ...localSockets(ns, notice.peer)] : older;
    await Promise.all(senders.map((sender) => this.outbox.settled(sender, notice.callId)));
    await Promise.all(older.map((old) => this.outbox.retire(old, notice.callId)));
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

  private refreshResumeTokens(ns: SignalingNamespace): void {
    for (const socket of ns.sockets.values()) {
      for (const callId of Object.keys(socket.data.calls ?? {})) {
        const { token, expiresAt } = this.resumeTokens.issue(socket.data.userId, socket.data.deviceId, callId);
        socket.emit('call:resume-token', { callId, resumeToken: token, expiresAt });
      }
    }
  }
}
