import { type BeforeApplicationShutdown, Inject, Logger, UseFilters } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import {
  type Ack,
  AppError,
  ErrorCode,
  AppStatePayload,
  CallRefPayload,
  IceStatePayload,
  QualityPayload,
  ResumePayload,
  SessionRefreshPayload,
  type ClientResult,
  IceCandidatePayload,
  InvitePayload,
  MediaStatePayload,
  SdpPayload,
  SIGNALING_NAMESPACE,
  ok,
} from '#contracts';
import { LogBudget, ZodValidationPipe, nextRequestId } from '#infra';
import { socketAuthMiddleware } from '../auth/socket-auth.middleware.js';
import { JwtVerifier } from '#infra';
import { CallEventsSubscriber } from './call-events.subscriber.js';
import { guardPacket } from './packet-guard.js';
import { traceMessage } from './message-context.js';
import { PresenceService } from './presence.service.js';
import { CallSessions } from '../call-session/call-sessions.service.js';
import { CarrierHeartbeat } from '../call-session/carrier-heartbeat.service.js';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { SocketLimits } from '../limits/socket-limits.service.js';
import { SocketTokens } from '../auth/socket-tokens.service.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.service.js';
import { SignalingService } from './signaling.service.js';
import type { SignalingNamespace, SignalingSocket } from './signaling-socket.js';
import { WsErrorFilter } from './ws-error.filter.js';

/** Refused handshakes logged per second at most; the rest are counted (vc_gateway_refused_handshakes_total). */
const REFUSAL_LOG_LINES_PER_SECOND = 10;

@UseFilters(WsErrorFilter)
@WebSocketGateway({ namespace: SIGNALING_NAMESPACE })
export class SignalingGateway
  implements
    OnGatewayInit<SignalingNamespace>,
    OnGatewayConnection<SignalingSocket>,
    OnGatewayDisconnect<SignalingSocket>,
    BeforeApplicationShutdown
{
  private readonly logger = new Logger(SignalingGateway.name);
  private ns!: SignalingNamespace;
  private draining = false;
  private readonly refusals = new LogBudget(REFUSAL_LOG_LINES_PER_SECOND);

  constructor(
    private readonly signaling: SignalingService,
    private readonly verifier: JwtVerifier,
    private readonly events: CallEventsSubscriber,
    private readonly presence: PresenceService,
    private readonly sessions: CallSessions,
    private readonly carriers: CarrierHeartbeat,
    private readonly limits: SocketLimits,
    private readonly tokens: SocketTokens,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async afterInit(ns: SignalingNamespace): Promise<void> {
    this.ns = ns;
    this.metrics.countSockets(() => ns.sockets.size);
    ns.use(
      socketAuthMiddleware(
        this.verifier,
        () => this.draining,
        this.config,
        (socket, code, cause) => this.refused(socket, code, cause),
      ),
    );
    this.presence.start(ns);
    this.sessions.start(ns);
    this.carriers.start(ns);
    await this.events.start(ns);
  }

  // Nest does not catch what these hooks throw, and presence is best effort: a Redis outage must
  // neither crash the node nor refuse sockets (presence is written again on its next refresh).
  async handleConnection(socket: SignalingSocket): Promise<void> {
    const { userId, deviceId, appState } = socket.data;
    this.logger.log({ msg: 'socket connected', socketId: socket.id, userId, deviceId, appState });
    // One closure per socket for every stage (an idle socket's heap is what a node's capacity is
    // counted in): log context, then the packet guard, then the rate limits; the dispatcher follows.
    socket.use((packet, next) =>
      traceMessage(socket, packet, () => guardPacket(socket, packet, () => this.limits.check(socket, packet, next))),
    );
    this.tokens.watch(socket);
    await this.presence
      .announce(socket)
      .catch((error: unknown) => this.logger.warn({ msg: 'presence not written', userId, deviceId, err: String(error) }));
  }

  async handleDisconnect(socket: SignalingSocket, reason?: string): Promise<void> {
    const { userId, deviceId } = socket.data;
    this.logger.log({ msg: 'socket disconnected', socketId: socket.id, userId, deviceId, reason });
    this.tokens.forget(socket);
    if (this.draining) return; // drain() reports these itself, before the node exits
    await Promise.all([
      this.presence.withdraw(this.ns, socket).catch((error: unknown) =>
        this.logger.warn({
          msg: 'presence not withdrawn',
          userId: socket.data.userId,
          deviceId: socket.data.deviceId,
          err: String(error),
        }),
      ),
      this.sessions.dropped(this.ns, socket),
    ]);
  }

  /** Anyone can cause these at will: counted always, logged within a budget. */
  private refused(socket: SignalingSocket, code: string, cause: unknown): void {
    this.metrics.refusedHandshake(code);
    const skipped = this.refusals.take();
    if (skipped === null) return;
    this.logger.warn({
      msg: 'handshake refused',
      requestId: nextRequestId(),
      code,
      address: socket.handshake.address,
      ...(code === ErrorCode.INTERNAL ? { err: String(cause) } : {}),
      ...(skipped > 0 ? { skippedSinceLast: skipped } : {}),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    this.sessions.stop();
    await this.sessions.drain(this.ns);
  }

  @SubscribeMessage('call:invite')
  async invite(
    @ConnectedSocket() s: SignalingSocket,
    @MessageBody(new ZodValidationPipe(InvitePayload)) p: InvitePayload,
  ): Promise<Ack<ClientResult<'call:invite'>>> {
    const placed = await this.signaling.invite(s, p);
    // Lifecycle messages are a few per call: debug lines that tie the request id to the call.
    this.logger.debug({ msg: 'invite placed', callId: placed.callId, calleeId: p.calleeId, merged: placed.merged });
    return ok(placed);
  }

  @SubscribeMessage('call:ringing')
  async ringing(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(CallRefPayload)) p: CallRefPayload) {
    return ok(await this.signaling.act(s, 'ringing', p));
  }

  @SubscribeMessage('call:accept')
  async accept(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(CallRefPayload)) p: CallRefPayload) {
    return ok(await this.signaling.accept(s, p));
  }

  @SubscribeMessage('call:decline')
  async decline(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(CallRefPayload)) p: CallRefPayload) {
    return ok(await this.signaling.act(s, 'decline', p));
  }

  @SubscribeMessage('call:cancel')
  async cancel(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(CallRefPayload)) p: CallRefPayload) {
    return ok(await this.signaling.act(s, 'cancel', p));
  }

  @SubscribeMessage('call:hangup')
  async hangup(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(CallRefPayload)) p: CallRefPayload) {
    return ok(await this.signaling.act(s, 'hangup', p));
  }

  @SubscribeMessage('call:sdp')
  async sdp(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(SdpPayload)) p: SdpPayload) {
    return ok(await this.signaling.sdp(s, p));
  }

  @SubscribeMessage('call:ice-candidate')
  async iceCandidate(
    @ConnectedSocket() s: SignalingSocket,
    @MessageBody(new ZodValidationPipe(IceCandidatePayload)) p: IceCandidatePayload,
  ) {
    return ok(await this.signaling.iceCandidate(s, p));
  }

  @SubscribeMessage('call:media-state')
  async mediaState(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(MediaStatePayload)) p: MediaStatePayload) {
    return ok(await this.signaling.mediaState(s, p));
  }

  @SubscribeMessage('call:ice-state')
  async iceState(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(IceStatePayload)) p: IceStatePayload) {
    return ok(await this.signaling.iceState(s, p));
  }

  @SubscribeMessage('call:quality')
  quality(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(QualityPayload)) p: QualityPayload) {
    return ok(this.signaling.quality(s, p));
  }

  @SubscribeMessage('call:ice-servers')
  iceServers(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(CallRefPayload)) p: CallRefPayload) {
    return ok(this.signaling.freshIceServers(s, p));
  }

  @SubscribeMessage('call:state')
  async state(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(CallRefPayload)) p: CallRefPayload) {
    return ok(await this.signaling.state(s, p));
  }

  @SubscribeMessage('call:resume')
  async resume(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(ResumePayload)) p: ResumePayload) {
    try {
      const resumed = await this.signaling.resume(s, p);
      this.metrics.resumed('ok');
      return ok(resumed);
    } catch (error) {
      this.metrics.resumed(error instanceof AppError ? error.code : ErrorCode.INTERNAL);
      throw error;
    }
  }

  @SubscribeMessage('session:app-state')
  async appState(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(AppStatePayload)) p: AppStatePayload) {
    s.data.appState = p.state;
    await this.presence.announce(s);
    return ok({ state: p.state });
  }

  @SubscribeMessage('session:refresh')
  async refresh(
    @ConnectedSocket() s: SignalingSocket,
    @MessageBody(new ZodValidationPipe(SessionRefreshPayload)) p: SessionRefreshPayload,
  ) {
    return ok(await this.tokens.refresh(s, p));
  }
}
