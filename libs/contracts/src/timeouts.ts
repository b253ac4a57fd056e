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
  /**
   * An ended call's replay streams are deleted this long after the end, not hours later: nobody
   * resumes into an ended call (CALL_ALREADY_ENDED), and a minute covers stores still in flight.
   */
  ENDED_CALL_OUTBOX_MS: 60_000,
  /**
   * A socket whose access token expires gets `session:token-expiring` this long before (at the next
   * check if less remains), and is closed at expiry unless it presented a fresh token with
   * `session:refresh`.
   * A minute lets a phone ask its identity provider over a slow network, twice.
   */
  TOKEN_EXPIRY_WARNING_MS: 60_000,
  /**
   * How often a gateway looks for sockets whose token warning or expiry has come: the warning and
   * the close come at most this late. One timer per node rather than one per socket.
   */
  TOKEN_CHECK_INTERVAL_MS: 1_000,
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
   * A gateway gathers the signaling milestones it sees for this long into one job: admins read them
   * on the timeline, where this much delay goes unnoticed, and one job per milestone cost more than
   * relaying the message.
   */
  MILESTONE_BATCH_MS: 50,
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
  /**
   * A resume waits this long for every other gateway node to confirm that the device's older
   * sockets stopped relaying and what they numbered is stored. A node that does not answer in time
   * makes the replay incomplete (`replayComplete: false`: the client restarts ICE), not the resume
   * slower. Nodes answer in about a millisecond.
   */
  SUPERSEDE_FENCE_MS: 1_000,
  /**
   * One resume per device is in flight at a time (all gateway nodes): a claim in Redis that lapses
   * this long after its last renewal (each replayed page renews it), so a node that died mid-resume
   * blocks that device's resumes no longer than this. Covers the calls request and the fence.
   */
  RESUME_LOCK_MS: 10_000,
  /**
   * The retry-after given to a resume refused because another is in flight for the device: a resume
   * takes tens of milliseconds, and one whose socket dropped stops at its next page.
   */
  RESUME_BUSY_RETRY_MS: 500,
  /**
   * Client side: an answered call whose media has not connected this long is shown as "no media",
   * with the likely cause (no TURN server, relay forced without one). Loopback and LAN calls connect
   * in about 2 s and TURN ones in 1–5 s; 10 s is well past both and well before CONNECT_TIMEOUT_MS
   * ends the call, so the user learns why while there is still a call to fix.
   */
  CLIENT_NO_MEDIA_MS: 10_000,
  /**
   * Client side: a camera picked by a switch must show its first frame, and then get frames through
   * the encoder, within this long, or the next camera is tried. Cameras deliver a first frame in
   * 50–300 ms and the encoder takes it in about 100 ms; a depth or infrared camera never does, and
   * this bound keeps a switch that skips one well under the 2 s the peer may go without new frames.
   */
  CLIENT_CAMERA_PROBE_MS: 700,
  /**
   * Client side: no media packet at all arrived for this long on a connected call, so the path is
   * gone (a network switch, a tunnel, the TURN server lost): restart ICE now. Chromium calls ICE
   * `disconnected` only after 5–6 s of silence (measured), which alone would spend the whole 2 s
   * recovery budget three times over. Audio alone sends a packet every 20 ms, and even 15 % loss
   * leaves no gap near this long, so a live call never trips it. Polled every quarter of it.
   */
  CLIENT_MEDIA_STALL_MS: 600,
  /**
   * Client side: an ICE restart begins with `call:ice-servers`; when media has stalled, its ack must
   * come this soon or the socket is taken for dead (its old address is gone and TCP has not noticed)
   * and reconnected at once. The gateway answers on its own, without the calls app, in one round trip.
   */
  CLIENT_SIGNALING_PROBE_MS: 400,
  /**
   * Client side: while media stays down after an ICE restart and the last negotiation has finished,
   * restart again this often: each restart gathers afresh, so a TURN server that has come back is
   * found within this long, rather than at the next of the previous gathering's backed-off retries.
   */
  CLIENT_ICE_RESTART_RETRY_MS: 1_000,
} as const;
