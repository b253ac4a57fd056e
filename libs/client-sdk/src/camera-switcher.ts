import { Timeouts } from '#contracts';
import { type CameraInfo, type Facing, candidatesFor, facingOf, opposite } from './camera-facing.js';
import { CallSdkError, SdkErrorCode } from './sdk-error.js';

/** Puts a camera's track on the call; false when its frames do not get through (the encoder drops them). */
export type UseCameraTrack = (track: MediaStreamTrack) => Promise<boolean>;

/** Chromium's insertable streams: a track's frames as VideoFrames (not in TypeScript's DOM types). */
declare const MediaStreamTrackProcessor:
  | (new (init: { track: MediaStreamTrack }) => {
      readable: ReadableStream<{ format: string | null; close(): void }>;
    })
  | undefined;

const within = <T>(ms: number, work: Promise<T>, otherwise: T): Promise<T> =>
  Promise.race([work, new Promise<T>((resolve) => setTimeout(() => resolve(otherwise), ms))]);

/**
 * Front ↔ back by where cameras face, never "the next camera": a laptop's infrared camera or a depth
 * camera opens fine and shows the peer nothing. Each candidate must show a frame the encoder can take
 * before it is used; if none does, the old camera is put back and the switch fails.
 */
export class CameraSwitcher {
  /** The camera last used for each facing: a phone with three back cameras goes back to the same one. */
  private readonly lastUsed = new Map<Facing, string>();
  /** Cameras that failed a probe: tried last next time. */
  private readonly failed = new Set<string>();

  /**
   * Switches from `current` (told to the peer as `told`) to a camera facing the other way, or to
   * `deviceId`. Resolves with where the new camera faces.
   */
  async switch(current: MediaStreamTrack, told: Facing, use: UseCameraTrack, deviceId?: string): Promise<Facing> {
    const settings = current.getSettings();
    const nowFacing = facingOf(settings.facingMode, current.label) ?? told;
    if (settings.deviceId) this.lastUsed.set(nowFacing, settings.deviceId);
    const wanted = opposite(nowFacing);
    const cameras = await this.cameras();
    const chosen = deviceId
      ? cameras.filter((c) => c.deviceId === deviceId && c.deviceId !== settings.deviceId)
      : candidatesFor(cameras, settings.deviceId, wanted, { lastUsed: this.lastUsed.get(wanted), failed: this.failed });
    if (!chosen.length)
      throw new CallSdkError(
        SdkErrorCode.NO_OTHER_CAMERA,
        deviceId
          ? 'That camera is not available, or is the one in use.'
          : `No camera faces ${wanted === 'back' ? 'back' : 'front'}: ${cameras.length} camera(s), none facing the other way.`,
      );
    // Release the old camera first: a phone opens one camera at a time (RTCCameraVideoCapturer
    // switches its capture device the same way).
    current.stop();
    for (const camera of chosen) {
      const track = await this.open(camera.deviceId);
      if (track && (await deliversFrames(track)) && (await use(track))) {
        // What the device says beats what we assumed: the peer is told where it really faces.
        const facing = facingOf(track.getSettings().facingMode, track.label) ?? camera.facing ?? wanted;
        this.lastUsed.set(facing, camera.deviceId);
        this.failed.delete(camera.deviceId);
        return facing;
      }
      track?.stop();
      this.failed.add(camera.deviceId);
    }
    const old = settings.deviceId ? await this.open(settings.deviceId) : null;
    if (old) await use(old);
    throw new CallSdkError(
      SdkErrorCode.CAMERA_UNAVAILABLE,
      `No camera facing ${wanted} delivered frames (tried ${chosen.map((c) => c.label || c.deviceId).join(', ')}); ` +
        (old ? 'kept the previous camera.' : 'the previous camera could not be reopened.'),
    );
  }

  private async cameras(): Promise<CameraInfo[]> {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices
      .filter((d) => d.kind === 'videoinput')
      .map((d) => {
        const capabilities = (d as InputDeviceInfo).getCapabilities?.();
        const facing = facingOf(capabilities?.facingMode, d.label);
        return { deviceId: d.deviceId, label: d.label, ...(facing ? { facing } : {}) };
      });
  }

  private open(deviceId: string): Promise<MediaStreamTrack | null> {
    return navigator.mediaDevices
      .getUserMedia({ video: { deviceId: { exact: deviceId } } })
      .then((stream) => stream.getVideoTracks()[0] ?? null)
      .catch(() => null);
  }
}

/**
 * A frame arrives within the bound, in a pixel format a video encoder takes (Chromium hands a depth
 * camera's Y16 frames over with `format: null`). Without insertable streams, a frame shown in a
 * detached <video> is the test; the encoder check in the caller catches the rest.
 */
export async function deliversFrames(track: MediaStreamTrack, ms: number = Timeouts.CLIENT_CAMERA_PROBE_MS): Promise<boolean> {
  if (typeof MediaStreamTrackProcessor !== 'undefined') {
    const probe = track.clone();
    const reader = new MediaStreamTrackProcessor({ track: probe }).readable.getReader();
    try {
      const result = await within(ms, reader.read(), null);
      if (!result || result.done) return false;
      const usable = result.value.format !== null; // read before close(), which clears it
      result.value.close();
      return usable;
    } finally {
      void reader.cancel().catch(() => undefined);
      probe.stop();
    }
  }
  if (typeof document === 'undefined' || !('requestVideoFrameCallback' in HTMLVideoElement.prototype)) return true;
  const video = document.createElement('video');
  video.muted = true;
  video.srcObject = new MediaStream([track]);
  void video.play().catch(() => undefined);
  try {
    return await within(ms, new Promise<boolean>((resolve) => video.requestVideoFrameCallback(() => resolve(true))), false);
  } finally {
    video.srcObject = null;
  }
}
