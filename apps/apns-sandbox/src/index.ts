export { ApnsSandbox } from './apns-sandbox.js';
export type { ApnsSandboxOptions } from './apns-sandbox-options.js';
export type { ApnsRecordedRequest, ApnsJwtClaims, ApnsRequestOutcome } from './apns-recorded-request.js';
export type { ApnsScriptBehaviour, ApnsScriptedAnswer, ApnsScriptedFault } from './apns-script-behaviour.js';
export type { ApnsRequestListener, ApnsRequestPredicate } from './apns-sandbox-log.js';
export { APNS_PUSH_TYPES, type ApnsPushType } from './apns-push-type.js';
