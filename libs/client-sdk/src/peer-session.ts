import { type IceConnectionState, type IceServersView, type MediaState, type ServerPayload, Timeouts } from '#contracts';
import { MediaStallWatch } from './media-stall-watch.js';

export interface PeerSessionHooks {
  sendSdp(description: RTCSessionDescriptionInit, iceRestart: boolean): Promise<void>;
  sendCandidate(candidate: RTCIceCandidateInit | null): Promise<void>;
  sendIceState(state: IceConnectionState): Promise<void>;
  /** Fresh TURN credentials before an ICE restart (the old ones may have expired). */
  freshIceServers(): Promise<IceServersView>;
  onRemoteStream(stream: MediaStream): void;
  onIceState(state: RTCIceConnectionState): void;
  /** No media packet for Timeouts.CLIENT_MEDIA_STALL_MS (true), or packets again (false). */
  onMediaStall?(stalled: boolean): void;
}

const UP: readonly string[] = ['connected', 'completed'];

/**
 * One RTCPeerConnection with perfect negotiation (W3C pattern): the server makes the caller
 * impolite and the callee polite, so crossing offers (two ICE restarts at once) resolve without
 * deadlock. Trickle ICE both ways. ICE restarts as soon as media is down: no packet for
 * CLIENT_MEDIA_STALL_MS, or ICE `disconnected` or `failed`; and again every
 * CLIENT_ICE_RESTART_RETRY_MS while media stays down and the last negotiation has finished.
 */
export class PeerSession {
  readonly pc: RTCPeerConnection;
  private makingOffer = false;
  private ignoreOffer = false;
  private restartPending = false;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private lastRestartAt = -Infinity;
  private readonly stallWatch: MediaStallWatch;
  private iceReports: Promise<void> = Promise.resolve();
  /** Negotiations started here, for tests and diagnostics: a camera switch must not add one. */
  offersMade = 0;

  constructor(
    readonly polite: boolean,
    private config: RTCConfiguration,
    private readonly hooks: PeerSessionHooks,
  ) {
    this.pc = new RTCPeerConnection(config);
    this.pc.onnegotiationneeded = () => void this.negotiate();
    this.pc.onicecandidate = ({ candidate }) => {
      // Some browsers signal the end with an empty candidate rather than null.
      void this.hooks.sendCandidate(candidate && candidate.candidate ? candidate.toJSON() : null);
    };
    this.pc.ontrack = ({ streams }) => streams[0] && this.hooks.onRemoteStream(streams[0]);
    this.pc.oniceconnectionstatechange = () => this.iceStateChanged();
    this.stallWatch = new MediaStallWatch(
      () => this.packetsReceived(),
      (stalled) => {
        this.hooks.onMediaStall?.(stalled);
        if (stalled) this.restartUnlessUnderWay();
        else void this.sendKeyFrame().catch(() => undefined);
      },
    );
  }

  /** Media is not flowing: ICE is not up, or no packet arrived for CLIENT_MEDIA_STALL_MS. */
  get mediaDown(): boolean {
    return this.stallWatch.stalled || !UP.includes(this.pc.iceConnectionState);
  }

  private answerWith: MediaStream | null = null;

  addLocalStream(stream: MediaStream): void {
    for (const track of stream.getTracks()) this.pc.addTrack(track, stream);
  }

  /**
   * The callee's media joins on the first offer, after setRemoteDescription: addTrack then reuses the
   * offer's transceivers, so answering needs no second negotiation.
   */
  addLocalStreamOnOffer(stream: MediaStream): void {
    this.answerWith = stream;
  }

  async onRemoteSdp(event: ServerPayload<'call:sdp'>): Promise<void> {
    if (event.iceServers) this.useIceServers(event.iceServers);
    const description = event.description;
    // An answer to an offer withdrawn by a restart (see restartIce) has nothing left to answer.
    if (description.type === 'answer' && this.pc.signalingState === 'stable') return;
    const collision = description.type === 'offer' && (this.makingOffer || this.pc.signalingState !== 'stable');
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    if (description.type === 'offer' && event.iceRestart) {
      this.lastRestartAt = performance.now();
      this.scheduleRetry();
    }
    await this.pc.setRemoteDescription(description);
    if (description.type === 'offer' && this.answerWith) {
      this.addLocalStream(this.answerWith);
      this.answerWith = null;
    }
    if (description.type === 'offer') {
      await this.pc.setLocalDescription();
      await this.hooks.sendSdp(this.pc.localDescription!.toJSON(), false);
    }
  }

  async onRemoteCandidate(candidate: RTCIceCandidateInit | null): Promise<void> {
    try {
      await this.pc.addIceCandidate(candidate ?? undefined);
    } catch (error) {
      if (!this.ignoreOffer) throw error;
    }
  }

  /**
   * Network changed or media failed: fresh credentials, then an offer marked as a restart.
   * `withdrawUnanswered` when relays may have been lost (the relay store was): an offer of ours
   * still waiting for its answer is rolled back, since the restart offer would otherwise wait for
   * an answer that may never come.
   */
  async restartIce(withdrawUnanswered = false): Promise<void> {
    this.scheduleRetry();
    this.useIceServers(await this.hooks.freshIceServers());
    this.lastRestartAt = performance.now();
    this.restartPending = true;
    if (withdrawUnanswered && this.pc.signalingState === 'have-local-offer' && !this.makingOffer)
      await this.pc.setLocalDescription({ type: 'rollback' });
    this.pc.restartIce();
  }

  /**
   * Restarts ICE unless one is under way: ours or the peer's, begun less than
   * CLIENT_ICE_RESTART_RETRY_MS ago (the retry covers it if it does not bring media back). After a
   * resume, the peer's restart offer is often in the replay: answering it is the restart, and a
   * second one of ours would only cost another round trip and another gathering.
   */
  restartUnlessUnderWay(): void {
    if (performance.now() - this.lastRestartAt < Timeouts.CLIENT_ICE_RESTART_RETRY_MS) return;
    void this.restartIce().catch(() => undefined);
  }

  async replaceVideoTrack(track: MediaStreamTrack): Promise<void> {
    const sender = this.pc.getSenders().find((s) => s.track?.kind === 'video');
    await sender?.replaceTrack(track);
  }

  /** Video frames the encoder has taken so far: a track it drops (a depth camera's) leaves this still. */
  async framesEncoded(): Promise<number> {
    let frames = 0;
    (await this.pc.getStats()).forEach((r: { type: string; kind?: string; framesEncoded?: number }) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video') frames += r.framesEncoded ?? 0;
    });
    return frames;
  }

  /**
   * The path is back after a stall: the peer's decoder holds frames that refer to ones lost in the
   * gap, and left alone Chromium spends about 3 s on retransmission requests before it asks for a
   * key frame (measured). Pausing and resuming our video encoding makes the encoder start afresh
   * with a key frame at once; the peer, whose media came back at the same moment, does the same for us.
   */
  private async sendKeyFrame(): Promise<void> {
    for (const sender of this.pc.getSenders()) {
      if (sender.track?.kind !== 'video') continue;
      const parameters = sender.getParameters();
      if (!parameters.encodings?.length) continue;
      parameters.encodings.forEach((e) => (e.active = false));
      await sender.setParameters(parameters);
      const resumed = sender.getParameters();
      resumed.encodings.forEach((e) => (e.active = true));
      await sender.setParameters(resumed);
    }
  }

  /** Media packets received so far, all streams: what the stall watch counts. */
  async packetsReceived(): Promise<number> {
    let packets = 0;
    (await this.pc.getStats()).forEach((r: { type: string; packetsReceived?: number }) => {
      if (r.type === 'inbound-rtp') packets += r.packetsReceived ?? 0;
    });
    return packets;
  }

  close(): void {
    this.clearRestartTimer();
    this.stallWatch.stop();
    this.pc.close();
  }

  /** New STUN/TURN servers for the gatherings to come (the current configuration otherwise kept). */
  useIceServers(view: IceServersView): void {
    this.config = { ...this.config, iceServers: view.iceServers };
    this.pc.setConfiguration(this.config);
  }

  private async negotiate(): Promise<void> {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.offersMade += 1;
      const iceRestart = this.restartPending;
      this.restartPending = false;
      await this.hooks.sendSdp(this.pc.localDescription!.toJSON(), iceRestart);
    } finally {
      this.makingOffer = false;
    }
  }

  private iceStateChanged(): void {
    const state = this.pc.iceConnectionState;
    this.hooks.onIceState(state);
    // One report at a time, in order: the server's media grace reads them as a sequence.
    this.iceReports = this.iceReports.then(() => this.hooks.sendIceState(state)).catch(() => undefined);
    if (UP.includes(state)) this.stallWatch.start();
    if (state === 'failed' || state === 'disconnected') this.restartUnlessUnderWay();
  }

  /**
   * Media still down a while after a restart: gather again. Not while an offer waits for its answer
   * (the peer's signaling may be away): a second offer would only cross the first.
   */
  private scheduleRetry(): void {
    this.clearRestartTimer();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.pc.signalingState === 'closed' || !this.mediaDown) return;
      if (this.pc.signalingState === 'stable' && !this.makingOffer) void this.restartIce().catch(() => undefined);
      else this.scheduleRetry();
    }, Timeouts.CLIENT_ICE_RESTART_RETRY_MS);
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }
}

export const DEFAULT_MEDIA_STATE: MediaState = { camera: 'front', videoEnabled: true, audioMuted: false };
