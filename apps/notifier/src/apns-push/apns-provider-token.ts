import { type KeyObject, sign } from 'node:crypto';

/** Apple: refresh no more than once every 20 minutes and no less than once every 60. */
const REFRESH_AFTER_MS = 50 * 60_000;

interface Signed {
  readonly value: string;
  readonly signedAt: number;
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * The provider token (ES256 JWT) for one APNs key, signed here rather than by apns2, which drops
 * its cached token on every ExpiredProviderToken answer: 20 pushes that all saw the 403 then signed
 * several tokens within milliseconds, and APNs answers the extra ones 429 TooManyProviderTokenUpdates.
 * Here a rejection only retires the token it names, so however many pushes report the same token,
 * one new token is signed; the others find it already replaced. Signing is synchronous, so there
 * is no await between the check and the swap for another push to slip into.
 */
export class ApnsProviderToken {
  private current: Signed | null = null;

  constructor(
    private readonly key: KeyObject,
    private readonly keyId: string,
    private readonly teamId: string,
  ) {}

  /** The token to send now: the cached one until it is 50 minutes old (inside Apple's 20-60 window). */
  get(now = Date.now()): string {
    if (!this.current || now - this.current.signedAt >= REFRESH_AFTER_MS) this.current = this.sign(now);
    return this.current.value;
  }

  /**
   * APNs answered ExpiredProviderToken to a request that carried `rejected`. Apple says the token is
   * dead, so the 20-minute minimum does not apply, but only the token in use is replaced, and once.
   */
  expired(rejected: string): void {
    if (this.current?.value === rejected) this.current = null;
  }

  private sign(now: number): Signed {
    const input = `${base64url({ alg: 'ES256', kid: this.keyId })}.${base64url({ iss: this.teamId, iat: Math.floor(now / 1000) })}`;
    // JWS wants the raw r||s signature, not Node's default DER encoding.
    const signature = sign('sha256', Buffer.from(input), { key: this.key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return { value: `${input}.${signature}`, signedAt: now };
  }
}
