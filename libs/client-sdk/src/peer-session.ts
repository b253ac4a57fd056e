import type { IceConnectionState, IceServersView, MediaState, ServerPayload } from '#contracts';

export interface PeerSessionHooks {
  sendSdp(description: RTCSessionDescriptionInit, iceRestart: boolean): Promise<void>;
  sendCandidate(candidate: RTCIceCandidateInit | null): Promise<void>;
  sendIceState(state: IceConnectionState): Promise<void>;
  /** Fresh TURN credentials before an ICE restart (the old ones may have expired). */
  freshIceServers(): Promise<IceServersView>;
  onRemoteStream(stream: MediaStream): void;
  onIceState(state: RTCIceConnectionState): void;
}

/** Like matrix-js-sdk: give a `disconnected` path this long to come back before restarting ICE. */
const DISCONNECTED_RESTART_MS = 2000;

/**
 * One RTCPeerConnection with perfect negotiation (W3C pattern): the server makes the caller
 * impolite and the callee polite, so crossing offers (two ICE restarts at once) resolve without
 * deadlock. Trickle ICE both ways; ICE restarts on `failed`, or `disconnected` for 2 s.
 */
export class PeerSession {
  readonly pc: RTCPeerConnection;
  private makingOffer = false;
  private ignoreOffer = false;
  private restartPending = false;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
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
    this.clearRestartTimer();
    this.useIceServers(await this.hooks.freshIceServers());
    this.restartPending = true;
    if (withdrawUnanswered && this.pc.signalingState === 'have-local-offer' && !this.makingOffer)
      await this.pc.setLocalDescription({ type: 'rollback' });
    this.pc.restartIce();
  }

  async replaceVideoTrack(track: MediaStreamTrack): Promise<void> {
    const sender = this.pc.getSenders().find((s) => s.track?.kind === 'video');
    await sender?.replaceTrack(track);
  }

  close(): void {
    this.clearRestartTimer();
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
    if (state === 'connected' || state === 'completed') this.clearRestartTimer();
    if (state === 'failed') void this.restartIce().catch(() => undefined);
    if (state === 'disconnected' && !this.restartTimer)
      this.restartTimer = setTimeout(() => void this.restartIce().catch(() => undefined), DISCONNECTED_RESTART_MS);
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }
}

export const DEFAULT_MEDIA_STATE: MediaState = { camera: 'front', videoEnabled: true, audioMuted: false };
