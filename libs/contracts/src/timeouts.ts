/** Defaults for every timer in the platform, in milliseconds. Apps may override them by config. */
export const Timeouts = {
  /** Unanswered calls end as `missed`. Matrix recommends ≥ 90 s invite lifetime; iOS users give up sooner. */
  RING_TIMEOUT_MS: 45_000,
  /** Gateway → calls request budget. A transition is one indexed transaction; 5 s means calls is sick. */
  CALLS_REQUEST_TIMEOUT_MS: 5_000,
  /**
   * A party whose socket dropped has this long to come back before the call ends as connection-lost.
   * 30 s like Nextcloud's signaling server (sessionExpireDuration) and Twilio Video's reconnecting window:
   * long enough for a Wi-Fi → cellular handover or a short tunnel, short enough that the peer isn't
   * left talking to nobody.
   */
  RECONNECT_GRACE_MS: 30_000,
  /**
   * Media must stay down this long (signaling up) before the call ends as ice-failed. An ICE restart
   * takes a few seconds (the client restarts ~2 s after `disconnected`, like matrix-js-sdk); 20 s
   * leaves room for two attempts without trapping users in a dead call for long.
   */
  MEDIA_GRACE_MS: 20_000,
  /**
   * Liveness of the node carrying each party: gateways refresh a key per carried call every third of
   * this; a key that lapses means the node died without reporting the drop, and the grace starts.
   */
  CARRIER_TTL_MS: 15_000,
  /** Resume tokens live this long and are re-issued at half-life while the call is carried. */
  RESUME_TOKEN_TTL_MS: 10 * 60_000,
} as const;
