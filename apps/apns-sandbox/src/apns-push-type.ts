/** The values Apple accepts in `apns-push-type`. */
export const APNS_PUSH_TYPES = [
  'alert',
  'background',
  'voip',
  'complication',
  'fileprovider',
  'mdm',
  'location',
  'liveactivity',
  'pushtotalk',
  'widgets',
] as const;

export type ApnsPushType = (typeof APNS_PUSH_TYPES)[number];

export function isApnsPushType(value: string | undefined): value is ApnsPushType {
  return (APNS_PUSH_TYPES as readonly string[]).includes(value ?? '');
}
