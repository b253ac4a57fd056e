import { createHmac } from 'node:crypto';
import type { IceServer, IceServersView } from '#contracts';

export interface MintTurnCredentialsOptions {
  /** coturn's static-auth-secret. */
  secret: string;
  userId: string;
  /**
   * Scopes the credential to one call: coturn logs it, and its `user-quota` counts allocations per
   * everything after the expiry, so a quota then caps one call rather than all of a user's calls.
   */
  callId?: string;
  ttlSeconds: number;
  now?: Date;
  stunUrls: string[];
  turnUrls: string[];
}

/** coturn's default rest-api-separator; it reads the expiry from the digits before the first one. */
const SEPARATOR = ':';

/**
 * TURN REST (coturn `use-auth-secret`) credentials: username `<expiry>:<userId>[:<callId>]`, credential
 * base64(HMAC-SHA1(secret, username)). Verified against coturn 4.6.1, which also accepts the
 * two-separator form: the HMAC covers the whole username, so no part can be changed after signing.
 */
export function mintTurnCredentials(options: MintTurnCredentialsOptions): IceServersView {
  const { secret, userId, callId, ttlSeconds, now = new Date(), stunUrls, turnUrls } = options;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive whole number of seconds, got ${ttlSeconds}`);
  }
  if (secret.length === 0) throw new RangeError('the TURN secret is empty');
  const expiry = Math.floor(now.getTime() / 1000) + ttlSeconds;
  const parts = [String(expiry), usernamePart('userId', userId)];
  if (callId !== undefined) parts.push(usernamePart('callId', callId));
  const username = parts.join(SEPARATOR);
  const credential = createHmac('sha1', secret).update(username).digest('base64');

  const iceServers: IceServer[] = [];
  if (stunUrls.length > 0) iceServers.push({ urls: stunUrls });
  if (turnUrls.length > 0) iceServers.push({ urls: turnUrls, username, credential });
  return { iceServers, ttlSeconds, expiresAt: new Date(expiry * 1000).toISOString() };
}

/** What coturn takes as it is, and what our logs show readably. */
const PLAIN = /^[A-Za-z0-9._~-]+$/;
/** Marks a hex-encoded part; not in PLAIN, so a plain id can never read as an encoded one. */
const ENCODED = '!';

/**
 * coturn answers 400 to a username holding whitespace, a quote or a backslash, or both "union" and
 * "select" (its SQL-injection filter, applied even without a database), and a separator inside a
 * part would shift the fields coturn and our logs read. Such a part is sent hex-encoded: hex has no
 * separator and none of the letters of "union" or "select", so every user id can get credentials.
 */
function usernamePart(name: string, value: string): string {
  if (value.length === 0) throw new RangeError(`${name} cannot be empty in a TURN username`);
  const lower = value.toLowerCase();
  if (PLAIN.test(value) && !(lower.includes('union') && lower.includes('select'))) return value;
  return ENCODED + Buffer.from(value, 'utf8').toString('hex');
}
