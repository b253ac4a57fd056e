import {
  type AppState,
  type CallMedia,
  type CallStateView,
  type ClientPayload,
  type ClientResult,
  type EndReason,
  type IceServersView,
  type MediaState,
  type QualitySample,
  type ServerPayload,
  Timeouts,
} from '#contracts';
import { type ResyncReason, reconcile, stalled } from './call-resync.js';
import { CallVersions } from './call-versions.js';
import { DEFAULT_MEDIA_STATE, PeerSession } from './peer-session.js';
import { QualitySampler } from './quality-sampler.js';
import { CallSdkError, SdkErrorCode } from './sdk-error.js';
import { ResyncTimer } from './resync-timer.js';
import { CameraSwitcher } from './camera-switcher.js';
import { type NoMedia, diagnoseNoMedia } from './no-media.js';
import { SeqBuffer } from './seq-buffer.js';
import { type ConnectionOptions, SignalingConnection } from './signaling-connection.js';
import { TypedEmitter } from './typed-emitter.js';

/** How many times a resume refused RATE_LIMITED (another of this device in flight) is sent again. */
const RESUME_ATTEMPTS = 4;

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
  /** Caller: a callee device is ringing (`call:ringing`). */
  peerRinging: boolean;
  /** Answered, but media has not connected for Timeouts.CLIENT_NO_MEDIA_MS; cleared when it does. */
  noMedia?: NoMedia;
  /** With `ended`: this device hung up, cancelled or declined; the peer did; or the platform ended it. */
  endedBy?: 'local' | 'remote' | 'platform';
}

/** An incoming call that went away before this device answered it. */
export interface IncomingGone {
  callId: string;
  reason: EndReason | 'answered-elsewhere' | 'declined-elsewhere';
}

export type CallClientEvents = {
  incoming: ServerPayload<'call:incoming'>;
  'incoming-gone': IncomingGone;
  call: CallInfo;
  'local-stream': MediaStream;
  'remote-stream': MediaStream;
  'remote-media-state': MediaState;
  'ice-state': RTCIceConnectionState;
  /** No media packet for Timeouts.CLIENT_MEDIA_STALL_MS (true: ICE is restarting), or media again (false). */
  'media-stalled': boolean;
  quality: QualitySample;
  resumed: { callId: string; replayed: number; ms: number };
  /** The client asked `call:state` and reconciled with the answer (a late event, a refused relay). */
  resync: { callId: string; reason: ResyncReason; state: CallStateView['state']; version: number };
  error: CallSdkError | Error;
};

export interface CallClientOptions extends ConnectionOptions {
  /** getUserMedia constraints; video is added for video calls. */
  audio?: MediaTrackConstraints | boolean;
  /** 'relay' forces TURN (tests, strict networks). */
  iceTransportPolicy?: RTCIceTransportPolicy;
  qualityIntervalMs?: number;
  /** How long a late phase waits before asking `call:state` (default Timeouts.CLIENT_RESYNC_MS). */
  resyncMs?: number;
}

/** In Node (bots, tests, tools) there is no WebRTC: the client then does signaling only. */
const hasMedia = () => typeof RTCPeerConnection !== 'undefined' && typeof navigator !== 'undefined' && !!navigator.mediaDevices;

type Relayed =
  | { event: 'call:sdp'; payload: ServerPayload<'call:sdp'> }
  | { event: 'call:ice-candidate'; payload: ServerPayload<'call:ice-candidate'> }
  | { event: 'call:media-state'; payload: ServerPayload<'call:media-state'> };

type RelayEvent = 'call:sdp' | 'call:ice-candidate' | 'call:media-state' | 'call:ice-state';

/** End reasons that mean the other party chose to end the call; the rest are the platform's verdicts. */
const PEER_ENDED: readonly string[] = ['completed', 'declined', 'cancelled'];
/** A relay refused with these means the server sees the call differently: ask it. */
const OUT_OF_STEP: readonly string[] = ['NOT_A_PARTY', 'CALL_NOT_FOUND'];
/** `call:accept` is retried on these (the calls app restarting); a retry after a success is harmless. */
const RETRYABLE: readonly string[] = ['CALLS_UNAVAILABLE', 'TIMEOUT'];
const ACCEPT_ATTEMPTS = 3;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const UP: readonly string[] = ['connected', 'completed'];

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
  private gapTimer: ReturnType<typeof setTimeout> | null = null;
  private sampler = new QualitySampler();
  private qualityTimer: ReturnType<typeof setInterval> | null = null;
  private incoming = new Map<string, ServerPayload<'call:incoming'>>();
  private wasConnected = false;
  private lostAt = 0;
  private summarised = false;
  private readonly early = new Map<string, ServerPayload<'call:accepted'>>();
  /** `call:ringing` for a call whose invite ack has not arrived yet, like `early`. */
  private readonly earlyRinging = new Set<string>();
  private readonly versions = new CallVersions();
  /** Asks `call:state` while an outgoing call hears nothing, or an answered call's media is not up. */
  private readonly resyncTimer: ResyncTimer;
  private resyncing = false;
  /** The socket dropped and the resume has not answered yet: the resume catches up, not a resync. */
  private resuming = false;
  /**
   * Open while `call:resume` waits for its ack. The replay comes before the ack, and an answer to a
   * replayed offer sent before it is refused (NOT_A_PARTY: the socket carries the call only once
   * resumed), so relays wait for the ack.
   */
  private resumeAck: Promise<void> | null = null;
  /** The current call has been answered (accept ack, `call:accepted`, a merge, a state answer). */
  private answered = false;
  /** ICE has reported connected/completed at least once in the current call. */
  private mediaConnected = false;
  private noMediaTimer: ReturnType<typeof setTimeout> | null = null;
  /** This device sent hangup, cancel or decline for the current call. */
  private endedHere = false;
  private readonly cameras = new CameraSwitcher();

  constructor(private readonly options: CallClientOptions) {
    this.connection = new SignalingConnection(options);
    this.resyncTimer = new ResyncTimer(
      options.resyncMs ?? Timeouts.CLIENT_RESYNC_MS,
      () => this.current && stalled({ phase: this.current.phase, answered: this.answered, mediaConnected: this.mediaConnected }),
      (reason) => this.resync(reason),
    );
    this.connection.onError = (error) => this.events.emit('error', error);
    this.listen();
    // Browsers say when the network comes back; the iOS app calls networkChanged() from NWPathMonitor.
    globalThis.addEventListener?.('online', this.onOnline);
  }

  private readonly onOnline = () => this.networkChanged();

  /**
   * The device's network changed or came back (a browser's `online`, NWPathMonitor on iOS). A socket
   * that is down reconnects now rather than at its next backoff step; one that seems up is tested by
   * an ICE restart, whose `call:ice-servers` must be answered within CLIENT_SIGNALING_PROBE_MS or the
   * socket is replaced. Media on the old path is dead either way, so a call restarts ICE at once.
   */
  networkChanged(): void {
    if (!this.connection.socket.connected) return this.connection.reconnectNow();
    if (this.peer && this.current && this.current.phase !== 'ended') void this.peer.restartIce().catch(() => undefined);
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
    // Glare: our invite answered the callee's call to us, so we are its callee, paired at the ack.
    const phase = result.state === 'ended' ? 'ended' : result.merged ? 'connecting' : 'outgoing';
    this.begin(result.callId, phase, media, calleeId, result.role);
    this.resumeToken = result.resumeToken;
    if (result.state === 'ended') {
      this.teardown(); // busy: nobody to talk to
      return result.callId;
    }
    this.answered = result.merged;
    if (result.merged) this.watchMedia();
    // `call:accepted` can beat the invite's ack (a glare merge accepts at once).
    const early = this.early.get(result.callId);
    this.early.delete(result.callId);
    if (early) this.accepted(early);
    if (this.earlyRinging.delete(result.callId)) this.ringing(result.callId);
    this.resyncTimer.arm();
    return result.callId;
  }

  async answer(callId: string): Promise<void> {
    const offer = this.incoming.get(callId);
    if (!offer) throw new CallSdkError('CALL_NOT_FOUND', 'No such incoming call.');
    await this.ensureLocalMedia(offer.media);
    this.iceServers = offer.iceServers;
    this.begin(callId, 'connecting', offer.media, offer.caller.userId, 'callee');
    let result: ClientResult<'call:accept'> | null;
    try {
      result = await this.accept(callId);
    } catch (error) {
      // Answered elsewhere, or already over: nothing of this call stays open here.
      this.update({ phase: 'ended' });
      this.teardown();
      throw error;
    }
    if (this.current?.callId !== callId || this.current.phase === 'ended') return;
    // The ack means this device carries the call: relays work at once, and the caller's offer may
    // arrive before our own `call:accepted`, which brings nothing new and is dropped by version.
    this.answered = true;
    if (result) {
      this.versions.raise(callId, result.version);
      this.resumeToken = result.resumeToken;
      this.iceServers = result.iceServers;
    }
    this.watchMedia();
    this.resyncTimer.arm();
  }

  /**
   * `call:accept`, retried while the calls app is unavailable (a retry by the device that already
   * answered is acknowledged again). Null when a retry says this device had already answered
   * (ILLEGAL_TRANSITION): then `call:accepted` brings the resume token.
   */
  private async accept(callId: string): Promise<ClientResult<'call:accept'> | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.connection.request('call:accept', { callId });
      } catch (error) {
        const code = error instanceof CallSdkError ? error.code : '';
        if (attempt > 1 && code === 'ILLEGAL_TRANSITION') return null;
        const gone = this.current?.callId !== callId || this.current.phase === 'ended';
        if (attempt >= ACCEPT_ATTEMPTS || !RETRYABLE.includes(code) || gone) throw error;
        await delay(500 * 2 ** attempt);
      }
    }
  }

  async decline(callId: string): Promise<void> {
    await this.connection.request('call:decline', { callId });
    if (this.incoming.delete(callId)) this.events.emit('incoming-gone', { callId, reason: 'declined' });
  }

  async hangup(): Promise<void> {
    const call = this.current;
    if (!call || call.phase === 'ended') return;
    this.endedHere = true;
    if (call.phase === 'outgoing') return void (await this.connection.request('call:cancel', { callId: call.callId }));
    await this.reportSummary();
    await this.connection.request('call:hangup', { callId: call.callId });
  }

  /**
   * Front ↔ back by where the cameras face (or to `deviceId`): the sender's track is replaced, so no
   * renegotiation happens, and the peer is told where the new camera really faces. Refused with
   * NO_OTHER_CAMERA when no camera faces the other way (nothing changes), and CAMERA_UNAVAILABLE when
   * none of those delivers frames (the old camera is back).
   */
  async switchCamera(deviceId?: string): Promise<MediaState['camera']> {
    const stream = this.localStream;
    const current = stream?.getVideoTracks()[0];
    if (!current || !stream) throw new CallSdkError(SdkErrorCode.NO_CAMERA_IN_USE, 'No camera in use: switch cameras during a video call.');
    const camera = await this.cameras.switch(current, this.mediaState.camera, (track) => this.useCamera(stream, track), deviceId);
    this.events.emit('local-stream', stream);
    await this.setMediaState({ camera });
    return camera;
  }

  /** The track replaces the stream's video and the sender's; once media flows, the encoder must take its frames. */
  private async useCamera(stream: MediaStream, track: MediaStreamTrack): Promise<boolean> {
    track.enabled = this.mediaState.videoEnabled;
    stream.getVideoTracks().forEach((old) => stream.removeTrack(old));
    stream.addTrack(track);
    const peer = this.peer;
    if (!peer) return true;
    const before = await peer.framesEncoded();
    await peer.replaceVideoTrack(track);
    // A disabled track sends black frames at a trickle, and nothing is encoded before media connects.
    if (!this.mediaState.videoEnabled || !UP.includes(peer.pc.iceConnectionState)) return true;
    const deadline = performance.now() + Timeouts.CLIENT_CAMERA_PROBE_MS;
    while (performance.now() < deadline) {
      await delay(50);
      if ((await peer.framesEncoded()) > before) return true;
    }
    return false;
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
    globalThis.removeEventListener?.('online', this.onOnline);
    this.teardown();
    this.connection.close();
  }

  private listen(): void {
    const socket = this.connection.socket;
    // Lifecycle events are delivered at least once: one whose version was seen is old news.
    const fresh = (p: { callId: string; version: number }) => this.versions.fresh(p.callId, p.version);
    socket.on('call:incoming', (p) => {
      if (!fresh(p)) return;
      this.incoming.set(p.callId, p);
      this.events.emit('incoming', p);
      // The handlers have shown it: tell the caller it rings here (docs/protocol.md, call:ringing).
      void this.connection.request('call:ringing', { callId: p.callId }).catch((error: unknown) => this.ringRefused(p.callId, error));
    });
    socket.on('call:ringing', (p) => fresh(p) && this.ringing(p.callId));
    socket.on('call:accepted', (p) => fresh(p) && this.accepted(p));
    socket.on('call:ended', (p) => fresh(p) && this.ended(p.callId, p.reason));
    socket.on('call:answered-elsewhere', (p) => fresh(p) && this.incomingGone(p.callId, 'answered-elsewhere'));
    socket.on('call:declined-elsewhere', (p) => fresh(p) && this.incomingGone(p.callId, 'declined-elsewhere'));
    socket.on('call:resume-token', (p) => p.callId === this.current?.callId && (this.resumeToken = p.resumeToken));
    socket.on('call:peer-reconnecting', (p) => fresh(p) && p.callId === this.current?.callId && this.update({ peerAway: true }));
    socket.on('call:peer-resumed', (p) => fresh(p) && p.callId === this.current?.callId && this.update({ peerAway: false }));
    socket.on('call:sdp', (p) => this.relayed({ event: 'call:sdp', payload: p }));
    socket.on('call:ice-candidate', (p) => this.relayed({ event: 'call:ice-candidate', payload: p }));
    socket.on('call:media-state', (p) => this.relayed({ event: 'call:media-state', payload: p }));
    socket.on('disconnect', () => {
      this.lostAt = performance.now();
      if (this.current && this.current.phase !== 'ended' && this.resumeToken) {
        this.resuming = true;
        this.update({ phase: 'reconnecting' });
      }
    });
    socket.on('connect', () => {
      if (this.wasConnected) void this.resume().catch((error: unknown) => this.events.emit('error', error as Error));
      this.wasConnected = true;
    });
  }

  private begin(callId: string, phase: CallPhase, media: CallMedia, peerUserId: string, role: 'caller' | 'callee'): void {
    this.current = { callId, phase, media, peerUserId, role, peerAway: false, peerRinging: false };
    this.buffer = new SeqBuffer<Relayed>(
      (message) => void this.apply(message).catch((e: unknown) => this.events.emit('error', e as Error)),
    );
    this.sampler = new QualitySampler();
    this.summarised = false;
    this.answered = false;
    this.mediaConnected = false;
    this.resuming = false;
    this.endedHere = false;
    this.events.emit('call', { ...this.current });
  }

  /** The callee is ringing: the outgoing call moved on, so the resync count starts over. */
  private ringing(callId: string): void {
    if (this.current?.callId !== callId) {
      // The callee's device can ring before our invite's ack has been handled: keep it for `call()`.
      if (!this.current || this.current.phase === 'ended') this.earlyRinging.add(callId);
      return;
    }
    if (this.current.phase !== 'outgoing') return;
    this.resyncTimer.arm();
    this.update({ peerRinging: true });
  }

  /** `call:ringing` refused: the call is over or taken (a stale `call:incoming`); anything else is an error. */
  private ringRefused(callId: string, error: unknown): void {
    const code = error instanceof CallSdkError ? error.code : '';
    if (code === 'CALL_ALREADY_ENDED') return this.incomingGone(callId, 'cancelled');
    if (code === 'ANSWERED_ELSEWHERE') return this.incomingGone(callId, 'answered-elsewhere');
    this.events.emit('error', error as Error);
  }

  private incomingGone(callId: string, reason: IncomingGone['reason']): void {
    if (this.incoming.delete(callId) && this.current?.callId !== callId) this.events.emit('incoming-gone', { callId, reason });
  }

  /** Answered: media should connect within CLIENT_NO_MEDIA_MS, or the user is told why it may not. */
  private watchMedia(): void {
    if (this.noMediaTimer || this.mediaConnected || !hasMedia()) return;
    const callId = this.current?.callId;
    this.noMediaTimer = setTimeout(() => {
      this.noMediaTimer = null;
      const call = this.current;
      if (!call || call.callId !== callId || call.phase === 'ended' || this.mediaConnected) return;
      const policy = this.options.iceTransportPolicy ?? 'all';
      this.update({ noMedia: diagnoseNoMedia(this.iceServers?.iceServers ?? [], policy, Timeouts.CLIENT_NO_MEDIA_MS) });
    }, Timeouts.CLIENT_NO_MEDIA_MS);
  }

  private clearNoMedia(): void {
    if (this.noMediaTimer) clearTimeout(this.noMediaTimer);
    this.noMediaTimer = null;
  }

  private accepted(event: ServerPayload<'call:accepted'>): void {
    const call = this.current;
    if (!call || call.callId !== event.callId) {
      this.early.set(event.callId, event);
      return;
    }
    if (call.phase === 'ended') return;
    this.resumeToken = event.resumeToken;
    this.iceServers = event.iceServers;
    this.proceed(event.role);
  }

  /** The call is answered. The caller (impolite) offers first; the callee's connection is made on the offer. */
  private proceed(role: CallInfo['role']): void {
    this.answered = true;
    if (this.current?.phase === 'outgoing') this.update({ phase: 'connecting', peerRinging: false });
    this.watchMedia();
    if (role === 'caller' && !this.peer && hasMedia() && this.localStream) this.createPeer(false).addLocalStream(this.localStream);
    this.resyncTimer.arm();
  }

  private createPeer(polite: boolean): PeerSession {
    const callId = this.current!.callId;
    this.peer = new PeerSession(
      polite,
      { iceServers: this.iceServers?.iceServers ?? [], iceTransportPolicy: this.options.iceTransportPolicy ?? 'all' },
      {
        sendSdp: (description, iceRestart) =>
          this.relay('call:sdp', { callId, description: description as { type: 'offer' | 'answer'; sdp: string }, iceRestart }),
        sendCandidate: (candidate) =>
          this.relay('call:ice-candidate', {
            callId,
            candidate: candidate
              ? {
                  candidate: candidate.candidate ?? '',
                  sdpMid: candidate.sdpMid ?? null,
                  sdpMLineIndex: candidate.sdpMLineIndex ?? null,
                  usernameFragment: candidate.usernameFragment ?? null,
                }
              : null,
          }).catch(() => undefined),
        sendIceState: (state) => this.relay('call:ice-state', { callId, state }),
        freshIceServers: () => this.freshIceServers(callId),
        onRemoteStream: (stream) => this.events.emit('remote-stream', stream),
        onMediaStall: (stalled) => this.events.emit('media-stalled', stalled),
        onIceState: (state) => {
          this.events.emit('ice-state', state);
          if (state === 'connected' || state === 'completed') {
            this.mediaConnected = true;
            this.resyncTimer.clear();
            this.clearNoMedia();
            this.update({ phase: 'connected', noMedia: undefined });
          }
        },
      },
    );
    // A glare-merged callee whose caller's offer beat its `call:accepted` has no servers yet.
    if (!this.iceServers) {
      const peer = this.peer;
      void this.connection
        .request('call:ice-servers', { callId })
        .then((view) => {
          this.iceServers ??= view;
          if (this.peer === peer) peer.useIceServers(view);
        })
        .catch(() => undefined);
    }
    this.startQuality();
    return this.peer;
  }

  /**
   * Fresh TURN credentials for an ICE restart. While media is down, the request doubles as a probe
   * of the socket: no ack within CLIENT_SIGNALING_PROBE_MS means the path it rode is gone, so the
   * socket reconnects now and the resume restarts ICE.
   */
  private async freshIceServers(callId: string): Promise<IceServersView> {
    const probing = this.peer?.mediaDown ?? false;
    try {
      return await this.connection.request('call:ice-servers', { callId }, probing ? Timeouts.CLIENT_SIGNALING_PROBE_MS : undefined);
    } catch (error) {
      if (probing && error instanceof CallSdkError && error.code === SdkErrorCode.TIMEOUT) this.connection.reconnectNow();
      throw error;
    }
  }

  /** Sends a relay or an ICE-state report; a refusal that says we are out of step asks `call:state`. */
  private async relay<E extends RelayEvent>(event: E, payload: ClientPayload<E>): Promise<void> {
    if (this.resumeAck) await this.resumeAck;
    try {
      await this.connection.request(event, payload);
    } catch (error) {
      if (error instanceof CallSdkError && OUT_OF_STEP.includes(error.code)) void this.resync('relay-refused');
      throw error;
    }
  }

  private relayed(message: Relayed): void {
    if (message.payload.callId !== this.current?.callId || !this.buffer) return;
    const before = this.buffer.epoch;
    this.buffer.push(message.payload.seq, message, message.payload.epoch);
    // A new relay store mid-call: relays in flight may have been lost with the old one. A resume
    // handles this itself (replayComplete); live, restart ICE unless media is up.
    const restarted = before !== undefined && this.buffer.epoch !== before;
    if (restarted && !this.resuming && !UP.includes(this.peer?.pc.iceConnectionState ?? ''))
      void this.renegotiate().catch((e: unknown) => this.events.emit('error', e as Error));
    this.watchGap();
  }

  /** A gap that stays open while the socket is up is replayed by resuming on the same socket. */
  private watchGap(): void {
    if (!this.buffer?.hasGap || this.gapTimer || this.resuming) return;
    const buffer = this.buffer;
    const stuckAt = buffer.lastSeq;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      if (this.buffer !== buffer || !buffer.hasGap || buffer.lastSeq !== stuckAt || this.resuming) return;
      if (this.connection.socket.connected) void this.resume().catch((e: unknown) => this.events.emit('error', e as Error));
    }, Timeouts.CLIENT_GAP_REPLAY_MS);
  }

  /**
   * Some relays are gone (the relay store was lost or trimmed): restart ICE, which renegotiates.
   * Without a peer connection yet, the caller makes its first offer; so does a callee whose caller's
   * offer was lost (it is the polite side, so crossing offers resolve to the caller's).
   */
  private async renegotiate(): Promise<void> {
    const call = this.current;
    if (!call || call.phase === 'ended' || !hasMedia()) return;
    if (this.peer) return this.peer.restartIce(true);
    if (!this.answered || !this.localStream) return;
    this.createPeer(call.role === 'callee').addLocalStream(this.localStream);
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
    if (!call || call.phase === 'ended' || !this.resumeToken || !this.buffer) return void (this.resuming = false);
    this.resuming = true;
    let acked: () => void = () => undefined;
    this.resumeAck = new Promise((resolve) => (acked = resolve));
    try {
      const result = await this.requestResume(call.callId, this.buffer);
      this.openResumeGate(acked);
      // The replay came before the ack, in the ack's epoch; lifecycle events up to its version are old news.
      this.versions.raise(call.callId, result.version);
      this.buffer.adopt(result.epoch);
      this.resumeToken = result.resumeToken;
      this.iceServers = result.iceServers;
      if (result.state === 'active') this.answered = true;
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
      this.resyncTimer.arm();
      // Some of what we missed is gone: renegotiate rather than wait for it.
      if (!result.replayComplete) return await this.renegotiate();
      // Answered while we were away (we missed `call:accepted`): the caller still owes the first offer.
      if (result.state === 'active' && !this.peer && call.role === 'caller' && this.localStream && hasMedia()) {
        this.createPeer(false).addLocalStream(this.localStream);
        return;
      }
      // Media may look connected to ICE and still be dead (a switched network): the stall watch knows.
      if (this.peer?.mediaDown) this.peer.restartUnlessUnderWay();
    } catch (error) {
      if (error instanceof CallSdkError && ['CALL_ALREADY_ENDED', 'RESUME_REFUSED', 'CALL_NOT_FOUND'].includes(error.code))
        return this.ended(call.callId, 'connection-lost');
      throw error;
    } finally {
      this.openResumeGate(acked);
      this.resuming = false;
    }
  }

  /**
   * One resume per device is served at a time: one that a dropped socket sent may still be winding
   * down, so a RATE_LIMITED answer is waited out a few times before it counts as an error.
   */
  private async requestResume(callId: string, buffer: SeqBuffer<Relayed>): Promise<ClientResult<'call:resume'>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const epoch = buffer.epoch;
        const lastSeq = buffer.lastSeq;
        return await this.connection.request('call:resume', {
          callId,
          resumeToken: this.resumeToken!,
          lastSeq,
          ...(epoch === undefined ? {} : { epoch }),
        });
      } catch (error) {
        if (!(error instanceof CallSdkError) || error.code !== 'RATE_LIMITED' || attempt >= RESUME_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs ?? Timeouts.RESUME_BUSY_RETRY_MS));
      }
    }
  }

  private openResumeGate(acked: () => void): void {
    this.resumeAck = null;
    acked();
  }

  /**
   * Asks the server where the call stands, in case the event that would have moved it on was lost,
   * and reconciles. Not while the socket is down or resuming: the resume ack covers that.
   */
  private async resync(reason: ResyncReason): Promise<void> {
    const call = this.current;
    if (!call || call.phase === 'ended' || this.resyncing || this.resuming || !this.connection.socket.connected) return;
    this.resyncing = true;
    try {
      const view = await this.connection.request('call:state', { callId: call.callId });
      const now = this.current;
      if (now?.callId !== call.callId || now.phase === 'ended') return;
      const action = reconcile(view, { role: now.role, outgoing: now.phase === 'outgoing', deviceId: this.options.deviceId });
      this.versions.raise(call.callId, view.version);
      if (action.kind === 'end') this.ended(call.callId, action.reason);
      if (action.kind === 'proceed-as-accepted') {
        const iceServers = await this.connection.request('call:ice-servers', { callId: call.callId });
        if (this.current?.callId !== call.callId || this.current.phase !== 'outgoing') return;
        this.iceServers = iceServers;
        this.proceed('caller');
      }
      this.events.emit('resync', { callId: call.callId, reason, state: view.state, version: view.version });
    } catch (error) {
      // Not a party at all: nothing of this call is ours. Anything else (the calls app away, a
      // timeout, a dropped socket): the next period or refusal asks again.
      if (error instanceof CallSdkError && error.code === 'CALL_NOT_FOUND') this.ended(call.callId, 'failed');
    } finally {
      this.resyncing = false;
    }
  }

  /** Without a reason when another device of ours answered (`call:state` told us). */
  private ended(callId: string, reason?: EndReason): void {
    this.incomingGone(callId, reason ?? 'answered-elsewhere');
    if (this.current?.callId !== callId || this.current.phase === 'ended') return;
    this.resyncTimer.clear();
    const endedBy = this.endedHere ? 'local' : reason && PEER_ENDED.includes(reason) ? 'remote' : 'platform';
    this.update({ phase: 'ended', endReason: reason, endedBy, peerRinging: false });
    // The peer hung up: our side's summary still belongs on the call record.
    void this.reportSummary().finally(() => this.teardown());
  }

  private async setMediaState(change: Partial<MediaState>): Promise<void> {
    this.mediaState = { ...this.mediaState, ...change };
    const call = this.current;
    if (call && this.peer) await this.relay('call:media-state', { callId: call.callId, state: this.mediaState });
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
    this.resyncTimer.clear();
    this.clearNoMedia();
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = null;
    this.resuming = false;
    this.stopQuality();
    this.peer?.close();
    this.peer = null;
    this.localStream?.getTracks().forEach((t) => t.stop());
    this.localStream = null;
    this.resumeToken = null;
  }
}
