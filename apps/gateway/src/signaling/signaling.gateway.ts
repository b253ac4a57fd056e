import { UseFilters } from '@nestjs/common';
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
  AppStatePayload,
  CallRefPayload,
  type ClientResult,
  IceCandidatePayload,
  InvitePayload,
  MediaStatePayload,
  SdpPayload,
  SIGNALING_NAMESPACE,
  ok,
} from '#contracts';
import { ZodValidationPipe } from '#infra';
import { socketAuthMiddleware } from '../auth/socket-auth.middleware.js';
import { JwtVerifier } from '#infra';
import { CallEventsSubscriber } from './call-events.subscriber.js';
import { guardPackets } from './packet-guard.js';
import { PresenceService } from './presence.service.js';
import { SignalingService } from './signaling.service.js';
import type { SignalingNamespace, SignalingSocket } from './signaling-socket.js';
import { WsErrorFilter } from './ws-error.filter.js';


@UseFilters(WsErrorFilter)
@WebSocketGateway({ namespace: SIGNALING_NAMESPACE })
export class SignalingGateway implements OnGatewayInit<SignalingNamespace>, OnGatewayConnection<SignalingSocket>, OnGatewayDisconnect<SignalingSocket> {
  private ns!: SignalingNamespace;

  constructor(
    private readonly signaling: SignalingService,
    private readonly verifier: JwtVerifier,
    private readonly events: CallEventsSubscriber,
    private readonly presence: PresenceService,
  ) {}

  async afterInit(ns: SignalingNamespace): Promise<void> {
    this.ns = ns;
    ns.use(socketAuthMiddleware(this.verifier));
    this.presence.start(ns);
    await this.events.start(ns);
  }

  async handleConnection(socket: SignalingSocket): Promise<void> {
    guardPackets(socket);
    await this.presence.announce(socket);
  }

  async handleDisconnect(socket: SignalingSocket): Promise<void> {
    await this.presence.withdraw(this.ns, socket);
  }

  @SubscribeMessage('call:invite')
  async invite(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(InvitePayload)) p: InvitePayload): Promise<Ack<ClientResult<'call:invite'>>> {
    return ok(await this.signaling.invite(s, p));
  }

  @SubscribeMessage('call:ringing')
  async ringing(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(CallRefPayload)) p: CallRefPayload) {
    return ok(await this.signaling.act(s, 'ringing', p));
  }

  @SubscribeMessage('call:accept')
  async accept(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(CallRefPayload)) p: CallRefPayload) {
    return ok(await this.signaling.act(s, 'accept', p));
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
  sdp(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(SdpPayload)) p: SdpPayload) {
    return ok(this.signaling.sdp(s, p));
  }

  @SubscribeMessage('call:ice-candidate')
  iceCandidate(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(IceCandidatePayload)) p: IceCandidatePayload) {
    return ok(this.signaling.iceCandidate(s, p));
  }

  @SubscribeMessage('call:media-state')
  mediaState(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(MediaStatePayload)) p: MediaStatePayload) {
    return ok(this.signaling.mediaState(s, p));
  }

  @SubscribeMessage('session:app-state')
  async appState(@ConnectedSocket() s: SignalingSocket, @MessageBody(new ZodValidationPipe(AppStatePayload)) p: AppStatePayload) {
    s.data.appState = p.state;
    await this.presence.announce(s);
    return ok({ state: p.state });
  }
}
