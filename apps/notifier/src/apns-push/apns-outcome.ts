import type { PushOutcome } from '#contracts';
import type { ApnsAnswer } from './apns-client.adapter.js';

/** Apple's answers that mean "this token is dead": stop using it (after a 410, from its timestamp). */
const DEAD_TOKEN = new Set(['410:Unregistered', '410:ExpiredToken', '400:BadDeviceToken', '400:DeviceTokenNotForTopic']);
/** Worth another try with backoff while the push still has value: throttling and any server trouble. */
const isTransient = (status: number) => status === 429 || status >= 500;

export type Verdict = Exclude<PushOutcome, 'expired'> | 'refresh-provider-token';

/** What one APNs answer means for the push. */
export function judge(answer: ApnsAnswer): Verdict {
  if (answer.status === 200) return 'delivered';
  if (DEAD_TOKEN.has(`${answer.status}:${answer.reason}`)) return 'token-invalid';
  if (answer.status === 403 && answer.reason === 'ExpiredProviderToken') return 'refresh-provider-token';
  if (isTransient(answer.status)) return 'retrying';
  return 'failed';
}
