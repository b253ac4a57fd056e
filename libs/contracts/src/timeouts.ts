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
  /**
   * Socket.IO heartbeat (its v4 defaults): a socket that answers no ping for PING_INTERVAL_MS +
   * PING_TIMEOUT_MS is closed, which is how a gateway notices a phone whose network vanished.
   */
  PING_INTERVAL_MS: 25_000,
  PING_TIMEOUT_MS: 20_000,
  /** Resume tokens live this long and are re-issued at half-life while the call is carried. */
  RESUME_TOKEN_TTL_MS: 10 * 60_000,
  /**
   * An answered call whose media never connects ends as `failed` after this long (both parties
   * present). ICE through TURN connects in 1–5 s; 30 s leaves room for two restarts (LiveKit gives
   * its peer connection 15 s per attempt).
   */
  CONNECT_TIMEOUT_MS: 30_000,
  /**
   * How often each calls instance looks in Postgres for calls past a deadline (ring, graces,
   * connect). Deadlines are columns, not timers, so one that passes while Redis, a job or a process
   * is lost is still kept, at most this much late.
   */
  DEADLINE_CHECK_MS: 1_000,
  /**
   * Committed call events and push jobs that were not handed to Redis right after their commit
   * (a crash, Redis down) are retried by every calls instance at this interval.
   */
  OUTBOX_RETRY_MS: 1_000,
  /**
   * A gateway that lost its event subscription fetches the events committed since it was lost,
   * minus this margin: a transaction can commit a little after its events were stamped.
   */
  EVENT_CATCH_UP_MARGIN_MS: 10_000,
  /**
   * Client side: a phase that should have moved on by now (an outgoing call with neither ringing nor
   * an answer, an answered call without media) makes the client ask `call:state` and reconcile, in
   * case the event that would have moved it was lost.
   */
  CLIENT_RESYNC_MS: 10_000,
  /**
   * Client side: a relay gap still open this long while the socket is up (a message was numbered
   * but its sender's node died before sending it) is filled by a replay: `call:resume` with
   * `lastSeq` and `epoch` on the same socket.
   */
  CLIENT_GAP_REPLAY_MS: 1_000,
} as const;
