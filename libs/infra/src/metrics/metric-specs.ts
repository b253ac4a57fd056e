/**
 * Every metric the apps expose, named once: the apps register them from here, and the Grafana
 * dashboard (deploy/grafana) and docs/operations.md spell the same names (a spec checks both).
 * They live in infra, not contracts: they are an operator's contract, not a client's, and only
 * infra depends on prom-client. Labels carry bounded values only (codes, reasons, states), never
 * a user, device or call id: cardinality stays fixed however many calls run.
 */
export interface MetricSpec<L extends string = string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Histograms only, in seconds. */
  buckets?: number[];
}

const spec = <L extends string = never>(s: MetricSpec<L>): MetricSpec<L> => s;

/** Signaling latencies: a few ms on a quiet node, seconds when something is wrong. */
const SIGNALING_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** A relay is one Redis round trip: sub-millisecond to tens of ms. */
const RELAY_BUCKETS = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];
/** APNs answers in tens to hundreds of ms; the request budget is 4 s. */
const PUSH_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8];

export const MetricSpecs = {
  // gateway
  connectedSockets: spec({ name: 'vc_gateway_connected_sockets', help: 'Signaling sockets connected to this node.', labelNames: [] }),
  refusedHandshakes: spec({
    name: 'vc_gateway_refused_handshakes_total',
    help: 'Socket handshakes refused, by error code.',
    labelNames: ['code'],
  }),
  refusedMessages: spec({
    name: 'vc_gateway_refused_messages_total',
    help: 'Client messages answered with an error, by error code.',
    labelNames: ['code'],
  }),
  rateLimitHits: spec({
    name: 'vc_gateway_rate_limit_hits_total',
    help: 'Messages refused by a rate limit, by limit.',
    labelNames: ['limit'],
  }),
  inviteToIncoming: spec({
    name: 'vc_gateway_invite_to_incoming_seconds',
    help: "From the calls app's record of an invite to call:incoming emitted to the callee's sockets on this node.",
    labelNames: [],
    buckets: SIGNALING_BUCKETS,
  }),
  relayHandling: spec({
    name: 'vc_gateway_relay_handling_seconds',
    help: 'Time to number, store and forward one relayed message, by event (sdp, ice-candidate, media-state).',
    labelNames: ['event'],
    buckets: RELAY_BUCKETS,
  }),
  resumes: spec({
    name: 'vc_gateway_resumes_total',
    help: 'call:resume requests, by outcome: ok, or the error code refusing it.',
    labelNames: ['outcome'],
  }),
  eventDeliveryLag: spec({
    name: 'vc_gateway_event_delivery_lag_seconds',
    help: "From a call event's commit in the calls app to its delivery on this node, by event type.",
    labelNames: ['type'],
    buckets: SIGNALING_BUCKETS,
  }),
  // calls
  openCalls: spec({
    name: 'vc_calls_open',
    help: 'Calls not yet ended, by state (counted in Postgres at scrape time).',
    labelNames: ['state'],
  }),
  endedCalls: spec({ name: 'vc_calls_ended_total', help: 'Calls ended, by end reason.', labelNames: ['reason'] }),
  graces: spec({
    name: 'vc_calls_graces_total',
    help: 'Reconnection and media graces, by grace (reconnect, media) and outcome (started, expired).',
    labelNames: ['grace', 'outcome'],
  }),
  // notifier
  pushes: spec({
    name: 'vc_notifier_pushes_total',
    help: 'Push attempts, by kind (voip, missed-call) and outcome.',
    labelNames: ['kind', 'outcome'],
  }),
  pushLatency: spec({
    name: 'vc_notifier_push_latency_seconds',
    help: 'APNs request latency of one push attempt that got an answer, by kind.',
    labelNames: ['kind'],
    buckets: PUSH_BUCKETS,
  }),
  // every app with Bull consumers
  queueJobs: spec({
    name: 'vc_queue_jobs',
    help: 'Jobs in a Bull queue this app consumes, by queue and state (read from Redis at scrape time).',
    labelNames: ['queue', 'state'],
  }),
  queueOldestAge: spec({
    name: 'vc_queue_oldest_waiting_age_seconds',
    help: 'Age of the oldest waiting job of a Bull queue this app consumes; 0 when none waits.',
    labelNames: ['queue'],
  }),
} as const;

export const METRIC_NAMES: readonly string[] = Object.values(MetricSpecs).map((s) => s.name);
