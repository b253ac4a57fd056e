/** Answers a script can force for a device token; the pairs are the ones Apple documents. */
export type ApnsScriptedAnswer =
  | { status: 410; reason: 'Unregistered' | 'ExpiredToken'; timestamp?: number }
  | { status: 400; reason: 'BadDeviceToken' | 'DeviceTokenNotForTopic' }
  | { status: 403; reason: 'ExpiredProviderToken' }
  | { status: 429; reason: 'TooManyRequests' }
  | { status: 500; reason: 'InternalServerError' }
  | { status: 503; reason: 'ServiceUnavailable' | 'Shutdown' };

/**
 * Transport faults: `hang` never answers the stream; `goaway` sends GOAWAY (APNs puts a JSON
 * `{ reason }` in the frame's debug data; default `Shutdown`) and closes the session. By default its
 * last-stream-id is 0, so the stream is refused unprocessed (safe to retry); with `covering` the
 * last-stream-id is the stream's own id, and the push is processed and answered 200 (a retry would
 * be a second push on the phone).
 */
export type ApnsScriptedFault = { hang: true } | { goaway: true; reason?: string; covering?: boolean };

/** `times`: apply to the next N otherwise-valid requests for the token, then behave normally. Default: forever. */
export type ApnsScriptBehaviour = (ApnsScriptedAnswer | ApnsScriptedFault) & { times?: number };
