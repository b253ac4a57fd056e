import { UseFilters } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import {
  type Ack,
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
import { SignalingService } from './signaling.service.js';
import type { SignalingNamespace, SignalingSocket } from './signaling-socket.js';
import { WsErrorFilter } from './ws-error.filter.js';


@UseFilters(WsErrorFilter)
@WebSocketGateway({ namespace: SIGNALING_NAMESPACE })
export class SignalingGateway implements OnGatewayInit<SignalingNamespace>, OnGatewayConnection<SignalingSocket> {
  constructor(
    private readonly signaling: SignalingService,
    private readonly verifier: JwtVerifier,
    private readonly events: CallEventsSubscriber,
  ) {}

  async afterInit(ns: SignalingNamespace): Promise<void> {
    ns.use(socketAuthMiddleware(this.verifier));
    await this.events.start(ns);
  }

  handleConnection(socket: SignalingSocket): void {
    guardPackets(socket);
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
}
