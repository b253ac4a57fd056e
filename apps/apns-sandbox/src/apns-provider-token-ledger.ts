import type { ApnsFailure } from './apns-failure.js';

const expired: ApnsFailure = { status: 403, reason: 'ExpiredProviderToken' };
const tooMany: ApnsFailure = { status: 429, reason: 'TooManyProviderTokenUpdates' };

/**
 * The provider tokens the sandbox has accepted, in order, so tests can expire them on demand and
 * count refreshes. Apple allows one refresh per 20 minutes and answers 429
 * TooManyProviderTokenUpdates to more; that rule is off until a test sets an interval, because
 * unrelated clients (several notifiers, restarts) would otherwise look like one refreshing client.
 */
export class ApnsProviderTokenLedger {
  private readonly accepted = new Map<string, number>();
  private readonly expiredTokens = new Set<string>();
  private minRefreshIntervalMs = 0;
  private staggerMs = 0;
  private rejections = 0;
  private lastAcceptedAt: number | null = null;

  /** Tokens accepted so far, oldest first. */
  get tokens(): string[] {
    return [...this.accepted.keys()];
  }

  /**
   * Every token accepted so far answers 403 ExpiredProviderToken from now on, as an hour-old one
   * would. An hour has passed as far as the refresh limit is concerned too: the next new token is
   * a timely refresh. With `staggerMs`, the n-th rejection is answered n × staggerMs late, as the
   * answers to pushes in flight on a busy connection come back spread out rather than together.
   */
  expireAll(staggerMs = 0): void {
    for (const token of this.accepted.keys()) this.expiredTokens.add(token);
    this.lastAcceptedAt = null;
    this.staggerMs = staggerMs;
    this.rejections = 0;
  }

  /** How long to hold this answer back before sending it. */
  delayOf(failure: ApnsFailure | null): number {
    return failure === expired ? this.staggerMs * this.rejections++ : 0;
  }

  /** A new token within `ms` of the previous new one answers 429 TooManyProviderTokenUpdates (0: off). */
  limitRefreshes(ms: number): void {
    this.minRefreshIntervalMs = ms;
  }

  clear(): void {
    this.accepted.clear();
    this.expiredTokens.clear();
    this.minRefreshIntervalMs = 0;
    this.lastAcceptedAt = null;
    this.staggerMs = 0;
    this.rejections = 0;
  }

  /** For a token whose signature and claims are valid: null to go on, or Apple's refusal. */
  judge(token: string, now = Date.now()): ApnsFailure | null {
    if (this.expiredTokens.has(token)) return expired;
    if (this.accepted.has(token)) return null;
    if (this.lastAcceptedAt !== null && now - this.lastAcceptedAt < this.minRefreshIntervalMs) return tooMany;
    this.accepted.set(token, now);
    this.lastAcceptedAt = now;
    return null;
  }
}
