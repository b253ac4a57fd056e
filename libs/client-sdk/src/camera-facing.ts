import type { MediaState } from '#contracts';

export type Facing = MediaState['camera'];

/** A camera as the switch sees it: `facing` only when the device or its label says so. */
export interface CameraInfo {
  deviceId: string;
  label: string;
  facing?: Facing;
}

const FROM_MODE: Record<string, Facing> = { user: 'front', environment: 'back' };
// Labels are the last resort: "Front Camera" (iOS Safari), "camera2 1, facing front" (Android), "FaceTime HD Camera" (Mac).
const FRONT_LABEL = /\bfront\b|\buser\b|facetime|selfie/i;
const BACK_LABEL = /\bback\b|\brear\b|\benvironment\b/i;
/** Cameras that open but carry nothing a peer can watch: tried last, whatever they face. */
const NOT_FOR_VIDEO = /\bIR\b|infrared|depth/i;

/** What a camera faces: the facingMode it reports (track settings or device capabilities), else its label. */
export function facingOf(reported: readonly string[] | string | undefined, label: string): Facing | undefined {
  for (const mode of typeof reported === 'string' ? [reported] : (reported ?? [])) if (FROM_MODE[mode]) return FROM_MODE[mode];
  if (FRONT_LABEL.test(label)) return 'front';
  if (BACK_LABEL.test(label)) return 'back';
  return undefined;
}

export const opposite = (facing: Facing): Facing => (facing === 'front' ? 'back' : 'front');

/**
 * The cameras to try, best first, for a switch to `wanted`: those known to face `wanted`, or when
 * there are none, those that don't say where they face (desktop browsers, Chromium's fake cameras),
 * on the assumption that another camera faces the other way. Never one known to face the wrong way. Within that: the camera used
 * for `wanted` before, then ordinary ones, then those that failed before or look like IR/depth.
 * Empty means there is nothing to switch to.
 */
export function candidatesFor(
  cameras: readonly CameraInfo[],
  currentId: string | undefined,
  wanted: Facing,
  history: { lastUsed?: string; failed: ReadonlySet<string> },
): CameraInfo[] {
  const others = cameras.filter((c) => c.deviceId !== currentId);
  const facingWanted = others.filter((c) => c.facing === wanted);
  const pool = facingWanted.length ? facingWanted : others.filter((c) => c.facing === undefined);
  const rank = (c: CameraInfo) =>
    (c.deviceId === history.lastUsed ? 0 : 1) + (history.failed.has(c.deviceId) || NOT_FOR_VIDEO.test(c.label) ? 2 : 0);
  return [...pool].sort((a, b) => rank(a) - rank(b));
}
