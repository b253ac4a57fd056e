import type { ApnsFailure } from './apns-failure.js';
import { checkProviderToken, type ProviderTokenRules } from './apns-provider-token.js';
import { isApnsPushType } from './apns-push-type.js';
import type { ApnsJwtClaims } from './apns-recorded-request.js';

export interface ApnsValidationRules extends ProviderTokenRules {
  /** Bundle ids whose topics (`<id>` or `<id>.voip`) are allowed; null allows any topic. */
  readonly bundleIds: readonly string[] | null;
}

export interface ApnsRequestInput {
  readonly method: string;
  readonly path: string;
  /** Lowercased names, pseudo-headers left out. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface ApnsValidationResult {
  readonly token: string | null;
  readonly jwt: ApnsJwtClaims | null;
  readonly failure: ApnsFailure | null;
}

const DEVICE_PATH = /^\/3\/device(?:\/([^/]*))?$/;
// Apple's tokens are 32 bytes today but Apple says not to assume a length; 100 bytes is the old cap.
const DEVICE_TOKEN = /^(?:[0-9a-f]{2}){32,100}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRIORITIES = ['1', '5', '10'];
const MAX_COLLAPSE_ID_BYTES = 64;
const MAX_VOIP_PAYLOAD_BYTES = 5120;
const MAX_PAYLOAD_BYTES = 4096;

const fail = (status: number, reason: string): ApnsFailure => ({ status, reason });

/**
 * Checks a request the way APNs does, in APNSwift's test-server order (path, method, token), with
 * the provider token checked before any apns-* header. The first failure wins.
 */
export async function validateApnsRequest(
  request: ApnsRequestInput,
  rules: ApnsValidationRules,
  nowSeconds: number,
): Promise<ApnsValidationResult> {
  const path = DEVICE_PATH.exec(request.path);
  if (!path) return { token: null, jwt: null, failure: fail(404, 'BadPath') };
  const token = path[1] ?? '';
  if (request.method !== 'POST') return { token, jwt: null, failure: fail(405, 'MethodNotAllowed') };
  if (token === '') return { token, jwt: null, failure: fail(400, 'MissingDeviceToken') };
  if (!DEVICE_TOKEN.test(token)) return { token, jwt: null, failure: fail(400, 'BadDeviceToken') };
  const auth = await checkProviderToken(request.headers.authorization, rules, nowSeconds);
  const failure = auth.failure ?? checkHeaders(request.headers, rules.bundleIds) ?? checkBody(request);
  return { token, jwt: auth.jwt, failure };
}

function checkHeaders(headers: ApnsRequestInput['headers'], bundleIds: readonly string[] | null): ApnsFailure | null {
  const topic = headers['apns-topic'];
  if (!topic) return fail(400, 'MissingTopic');
  if (bundleIds && !bundleIds.some((id) => topic === id || topic === `${id}.voip`)) return fail(400, 'TopicDisallowed');
  const pushType = headers['apns-push-type'];
  // Apple only documents the header as required on watchOS 6+, but without it iOS 13+ does not
  // hand a push to PushKit as VoIP; requiring it makes that omission fail in tests, not on phones.
  if (!isApnsPushType(pushType)) return fail(400, 'InvalidPushType');
  // Apple's real answer here depends on its token registry (usually DeviceTokenNotForTopic, since
  // a VoIP token belongs to `<bundle>.voip`). The sandbox has no registry, so it gives the
  // topic-level error; scripts can still produce DeviceTokenNotForTopic for a given token.
  if (pushType === 'voip' && !topic.endsWith('.voip')) return fail(400, 'TopicDisallowed');
  const priority = headers['apns-priority'];
  if (priority !== undefined && !PRIORITIES.includes(priority)) return fail(400, 'BadPriority');
  const expiration = headers['apns-expiration'];
  if (expiration !== undefined && !/^\d+$/.test(expiration)) return fail(400, 'BadExpirationDate');
  const collapseId = headers['apns-collapse-id'];
  if (collapseId !== undefined && Buffer.byteLength(collapseId, 'utf8') > MAX_COLLAPSE_ID_BYTES) {
    return fail(400, 'BadCollapseId');
  }
  const apnsId = headers['apns-id'];
  if (apnsId !== undefined && !UUID.test(apnsId)) return fail(400, 'BadMessageId');
  return null;
}

function checkBody(request: ApnsRequestInput): ApnsFailure | null {
  if (request.body.length === 0) return fail(400, 'PayloadEmpty');
  const limit = request.headers['apns-push-type'] === 'voip' ? MAX_VOIP_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES;
  if (request.body.length > limit) return fail(413, 'PayloadTooLarge');
  return null;
}
