import type { AppState, CallMedia, EndReason, IceServersView, MediaState, QualitySample, ServerPayload } from '#contracts';
import { DEFAULT_MEDIA_STATE, PeerSession } from './peer-session.js';
import { QualitySampler } from './quality-sampler.js';
import { CallSdkError } from './sdk-error.js';
import { SeqBuffer } from './seq-buffer.js';
import { type ConnectionOptions, SignalingConnection } from './signaling-connection.js';
import { TypedEmitter } from './typed-emitter.js';

export type CallPhase = 'outgoing' | 'incoming' | 'connecting' | 'connected' | 'reconnecting' | 'ended';

export interface CallInfo {
  callId: string;
  phase: CallPhase;
  media: CallMedia;
  peerUserId: string;
  role: 'caller' | 'callee';
  endReason?: EndReason;
  /** Our socket is away and resuming (signaling), or the peer's is (peerAway). */
  peerAway: boolean;
}

export type CallClientEvents = {
  incoming: ServerPayload<'call:incoming'>;
  call: CallInfo;
  'local-stream': MediaStream;
  'remote-stream': MediaStream;
  'remote-media-state': MediaState;
  'ice-state': RTCIceConnectionState;
  quality: QualitySample;
  resumed: { callId: string; replayed: number; ms: number };
  error: CallSdkError | Error;
};

export interface CallClientOptions extends ConnectionOptions {
  /** getUserMedia constraints; video is added for video calls. */
  audio?: MediaTrackConstraints | boolean;
  /** 'relay' forces TURN (tests, strict networks). */
  iceTransportPolicy?: RTCIceTransportPolicy;
  qualityIntervalMs?: number;
}

/** In Node (bots, tests, tools) there is no WebRTC: the client then does signaling only. */
const hasMedia = () => typeof RTCPeerConnection !== 'undefined' && typeof navigator !== 'undefined' && !!navigator.mediaDevices;

type Relayed =
  | { event: 'call:sdp'; payload: ServerPayload<'call:sdp'> }
  | { event: 'call:ice-candidate'; payload: ServerPayload<'call:ice-candidate'> }
  | { event: 'call:media-state'; payload: ServerPayload<'call:media-state'> };

/**
 * The reference client: one call at a time, as on a phone. It owns the socket, the peer connection
 * and local media, recovers from dropped sockets (resume + replay) and dropped media (ICE restart),
 * and reports quality. The iOS app ports it function by function (docs/ios.md).
 */
export class CallClient {
  readonly events = new TypedEmitter<CallClientEvents>();
  readonly connection: SignalingConnection;
  current: CallInfo | null = null;
  localStream: MediaStream | null = null;
  mediaState: MediaState = { ...DEFAULT_MEDIA_STATE };
  peer: PeerSession | null = null;
  private resumeToken: string | null = null;
  private iceServers: IceServersView | null = null;
  private buffer: SeqBuffer<Relayed> | null = null;
  private sampler = new QualitySampler();
  private qualityTimer: ReturnType<typeof setInterval> | null = null;
  private incoming = new Map<string, ServerPayload<'call:incoming'>>();
  private wasConnected = false;
  private lostAt = 0;
  private summarised = false;
  private readonly early = new Map<string, ServerPayload<'call:accepted'>>();

  constructor(private readonly options: CallClientOptions) {
    this.connection = new SignalingConnection(options);
    this.listen();
  }

  connect(): Promise<void> {
    return this.connection.connect();
  }

  async call(calleeId: string, media: CallMedia = 'video'): Promise<string> {
    await this.ensureLocalMedia(media);
    const idempotencyKey = `inv-${crypto.randomUUID()}`;
    const result = await this.connection.request('call:invite', { calleeId, media, idempotencyKey }).catch((error: unknown) => {
      this.teardown();
      throw error;
    });
    // Glare: our invite answered the callee's call to us, so we are its callee.
    this.begin(result.callId, result.state === 'ended' ? 'ended' : 'outgoing', media, calleeId, result.role);
    this.resumeToken = result.resumeToken;
    if (result.state === 'ended') this.teardown(); // busy: nobody to talk to
    // `call:accepted` can beat the invite's ack (a glare merge accepts at once).
    const early = this.early.get(result.callId);
    this.early.delete(result.callId);
    if (early) this.accepted(early);
    return result.callId;
  }

  async answer(callId: string): Promise<void> {
    const offer = this.incoming.get(callId);
    if (!offer) throw new CallSdkError('CALL_NOT_FOUND', 'No such incoming call.');
    await this.ensureLocalMedia(offer.media);
    this.iceServers = offer.iceServers;
    this.begin(callId, 'connecting', offer.media, offer.caller.userId, 'callee');
    try {
      await this.connection.request('call:accept', { callId });
    } catch (error) {
      // Answered elsewhere, or already over: nothing of this call stays open here.
      this.update({ phase: 'ended' });
      this.teardown();
      throw error;
    }
  }

  async decline(callId: string): Promise<void> {
    await this.connection.request('call:decline', { callId });
  }

  async hangup(): Promise<void> {
    const call = this.current;
    if (!call || call.phase === 'ended') return;
    if (call.phase === 'outgoing') return void (await this.connection.request('call:cancel', { callId: call.callId }));
    await this.reportSummary();
    await this.connection.request('call:hangup', { callId: call.callId });
  }

  /**
   * Front ↔ back: the sender's track is replaced, so no renegotiation happens. Without a deviceId the
   * next camera is taken (a phone has two).
   */
  async switchCamera(deviceId?: string): Promise<MediaState['camera']> {
    const current = this.localStream?.getVideoTracks()[0];
    if (!current || !this.localStream) throw new CallSdkError('VALIDATION_FAILED', 'No camera in use.');
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    const now = current.getSettings().deviceId;
    const next = cameras.find((c) => (deviceId ? c.deviceId === deviceId : c.deviceId !== now)) ?? cameras[0]!;
    // Release the old camera first: a phone opens one camera at a time (RTCCameraVideoCapturer
    // switches its capture device the same way), and so does Chromium's fake capture.
    this.localStream.removeTrack(current);
    current.stop();
    const stream = await navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: next.deviceId } } });
    const track = stream.getVideoTracks()[0]!;
    track.enabled = this.mediaState.videoEnabled;
    await this.peer?.replaceVideoTrack(track);
    this.localStream.addTrack(track);
    this.events.emit('local-stream', this.localStream);
    await this.setMediaState({ camera: this.mediaState.camera === 'front' ? 'back' : 'front' });
    return this.mediaState.camera;
  }

  setMuted(muted: boolean): Promise<void> {
    this.localStream?.getAudioTracks().forEach((t) => (t.enabled = !muted));
    return this.setMediaState({ audioMuted: muted });
  }

  setVideoEnabled(enabled: boolean): Promise<void> {
    this.localStream?.getVideoTracks().forEach((t) => (t.enabled = enabled));
    return this.setMediaState({ videoEnabled: enabled });
  }

  async setAppState(state: AppState): Promise<void> {
    this.connection.appState = state;
    if (this.connection.socket.connected) await this.connection.request('session:app-state', { state });
  }

  restartIce(): Promise<void> {
    return this.peer ? this.peer.restartIce() : Promise.resolve();
  }

  stats(): Promise<QualitySample> | null {
    return this.peer ? this.sampler.sample(this.peer.pc) : null;
  }

  close(): void {
    this.teardown();
    this.connection.close();
  }

  private listen(): void {
    const socket = this.connection.socket;
    socket.on('call:incoming', (p) => {
      this.incoming.set(p.callId, p);
      this.events.emit('incoming', p);
    });
    socket.on('call:accepted', (p) => this.accepted(p));
    socket.on('call:ended', (p) => this.ended(p.callId, p.reason));
    socket.on('call:answered-elsewhere', (p) => this.incoming.delete(p.callId));
    socket.on('call:declined-elsewhere', (p) => this.incoming.delete(p.callId));
    socket.on('call:resume-token', (p) => p.callId === this.current?.callId && (this.resumeToken = p.resumeToken));
    socket.on('call:peer-reconnecting', (p) => p.callId === this.current?.callId && this.update({ peerAway: true }));
    socket.on('call:peer-resumed', (p) => p.callId === this.current?.callId && this.update({ peerAway: false }));
    socket.on('call:sdp', (p) => this.relayed({ event: 'call:sdp', payload: p }));
    socket.on('call:ice-candidate', (p) => this.relayed({ event: 'call:ice-candidate', payload: p }));
    socket.on('call:media-state', (p) => this.relayed({ event: 'call:media-state', payload: p }));
    socket.on('disconnect', () => {
      this.lostAt = performance.now();
      if (this.current && this.current.phase !== 'ended' && this.resumeToken) this.update({ phase: 'reconnecting' });
    });
    socket.on('connect', () => {
      if (this.wasConnected) void this.resume().catch((error: unknown) => this.events.emit('error', error as Error));
      this.wasConnected = true;
    });
  }

  private begin(callId: string, phase: CallPhase, media: CallMedia, peerUserId: string, role: 'caller' | 'callee'): void {
    this.current = { callId, phase, media, peerUserId, role, peerAway: false };
    this.buffer = new SeqBuffer<Relayed>(
      (message) => void this.apply(message).catch((e: unknown) => this.events.emit('error', e as Error)),
    );
    this.sampler = new QualitySampler();
    this.summarised = false;
    this.events.emit('call', { ...this.current });
  }

  private accepted(event: ServerPayload<'call:accepted'>): void {
    const call = this.current;
    if (!call || call.callId !== event.callId) {
      this.early.set(event.callId, event);
      return;
    }
    this.resumeToken = event.resumeToken;
    this.iceServers = event.iceServers;
    this.update({ phase: 'connecting' });
    // The caller (impolite) offers first; the callee's connection is made on the offer.
    if (event.role === 'caller' && hasMedia()) this.createPeer(false).addLocalStream(this.localStream!);
  }

  private createPeer(polite: boolean): PeerSession {
    const callId = this.current!.callId;
    this.peer = new PeerSession(
      polite,
      { iceServers: this.iceServers?.iceServers ?? [], iceTransportPolicy: this.options.iceTransportPolicy ?? 'all' },
      {
        sendSdp: async (description, iceRestart) =>
          void (await this.connection.request('call:sdp', {
            callId,
            description: description as { type: 'offer' | 'answer'; sdp: string },
            iceRestart,
          })),
        sendCandidate: async (candidate) =>
          void (await this.connection
            .request('call:ice-candidate', {
              callId,
              candidate: candidate
                ? {
                    candidate: candidate.candidate ?? '',
                    sdpMid: candidate.sdpMid ?? null,
                    sdpMLineIndex: candidate.sdpMLineIndex ?? null,
                    usernameFragment: candidate.usernameFragment ?? null,
                  }
                : null,
            })
            .catch(() => undefined)),
        sendIceState: async (state) => void (await this.connection.request('call:ice-state', { callId, state })),
        freshIceServers: () => this.connection.request('call:ice-servers', { callId }),
        onRemoteStream: (stream) => this.events.emit('remote-stream', stream),
        onIceState: (state) => {
          this.events.emit('ice-state', state);
          if (state === 'connected' || state === 'completed') this.update({ phase: 'connected' });
        },
      },
    );
    this.startQuality();
    return this.peer;
  }

  private relayed(message: Relayed): void {
    if (message.payload.callId !== this.current?.callId || !this.buffer) return;
    this.buffer.push(message.payload.seq, message);
  }

  private async apply(message: Relayed): Promise<void> {
    if (message.event === 'call:media-state') return void this.events.emit('remote-media-state', message.payload.state);
    if (message.event === 'call:sdp') {
      if (!this.peer && !hasMedia()) return; // signaling only (Node): nobody to hand the SDP to
      if (!this.peer) {
        const peer = this.createPeer(true);
        if (this.localStream) peer.addLocalStreamOnOffer(this.localStream);
        return peer.onRemoteSdp(message.payload);
      }
      return this.peer.onRemoteSdp(message.payload);
    }
    await this.peer?.onRemoteCandidate(message.payload.candidate);
  }

  /** After a reconnect: rejoin the call and get what was missed, then restart ICE if media dropped. */
  private async resume(): Promise<void> {
    const call = this.current;
    if (!call || call.phase === 'ended' || !this.resumeToken || !this.buffer) return;
    try {
      const result = await this.connection.request('call:resume', {
        callId: call.callId,
        resumeToken: this.resumeToken,
        lastSeq: this.buffer.lastSeq,
      });
      this.resumeToken = result.resumeToken;
      this.iceServers = result.iceServers;
      const media = this.peer?.pc.iceConnectionState;
      const phase =
        call.phase === 'outgoing' || (call.phase === 'reconnecting' && !this.peer)
          ? result.state === 'active'
            ? 'connecting'
            : 'outgoing'
          : media === 'connected' || media === 'completed'
            ? 'connected'
            : 'connecting';
      this.update({ phase, peerAway: result.peerReconnecting });
      this.events.emit('resumed', { callId: call.callId, replayed: result.replayed, ms: performance.now() - this.lostAt });
      // Answered while we were away (we missed `call:accepted`): the caller still owes the first offer.
      if (result.state === 'active' && !this.peer && call.role === 'caller' && this.localStream && hasMedia()) {
        this.createPeer(false).addLocalStream(this.localStream);
        return;
      }
      if (this.peer && !['connected', 'completed'].includes(this.peer.pc.iceConnectionState)) await this.restartIce();
    } catch (error) {
      if (error instanceof CallSdkError && ['CALL_ALREADY_ENDED', 'RESUME_REFUSED', 'CALL_NOT_FOUND'].includes(error.code))
        return this.ended(call.callId, 'connection-lost');
      throw error;
    }
  }

  private ended(callId: string, reason: EndReason): void {
    this.incoming.delete(callId);
    if (this.current?.callId !== callId || this.current.phase === 'ended') return;
    this.update({ phase: 'ended', endReason: reason });
    // The peer hung up: our side's summary still belongs on the call record.
    void this.reportSummary().finally(() => this.teardown());
  }

  private async setMediaState(change: Partial<MediaState>): Promise<void> {
    this.mediaState = { ...this.mediaState, ...change };
    const call = this.current;
    if (call && this.peer) await this.connection.request('call:media-state', { callId: call.callId, state: this.mediaState });
  }

  private startQuality(): void {
    this.stopQuality();
    this.qualityTimer = setInterval(() => void this.reportSample(), this.options.qualityIntervalMs ?? 5000);
  }

  private async reportSample(): Promise<void> {
    const call = this.current;
    if (!call || !this.peer) return;
    const sample = await this.sampler.sample(this.peer.pc);
    this.events.emit('quality', sample);
    await this.connection.request('call:quality', { callId: call.callId, sample, final: false }).catch(() => undefined);
  }

  private async reportSummary(): Promise<void> {
    const call = this.current;
    if (!call || !this.peer || this.summarised) return;
    this.summarised = true;
    await this.sampler.sample(this.peer.pc);
    await this.connection
      .request('call:quality', { callId: call.callId, sample: this.sampler.summary(), final: true })
      .catch(() => undefined);
  }

  private stopQuality(): void {
    if (this.qualityTimer) clearInterval(this.qualityTimer);
    this.qualityTimer = null;
  }

  private async ensureLocalMedia(media: CallMedia): Promise<void> {
    if (this.localStream || !hasMedia()) return;
    this.localStream = await navigator.mediaDevices.getUserMedia({ audio: this.options.audio ?? true, video: media === 'video' });
    this.mediaState = { ...DEFAULT_MEDIA_STATE, videoEnabled: media === 'video' };
    this.events.emit('local-stream', this.localStream);
  }

  private update(change: Partial<CallInfo>): void {
    if (!this.current) return;
    this.current = { ...this.current, ...change };
    this.events.emit('call', { ...this.current });
  }

  private teardown(): void {
    this.stopQuality();
    this.peer?.close();
    this.peer = null;
    this.localStream?.getTracks().forEach((t) => t.stop());
    this.localStream = null;
    this.resumeToken = null;
  }
}
