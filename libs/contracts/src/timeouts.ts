/** Defaults for every timer in the platform, in milliseconds. Apps may override them by config. */
export const Timeouts = {
  /** Unanswered calls end as `missed`. Matrix recommends ≥ 90 s invite lifetime; iOS users give up sooner. */
  RING_TIMEOUT_MS: 45_000,
  /** Gateway → calls request budget. A transition is one indexed transaction; 5 s means calls is sick. */
  CALLS_REQUEST_TIMEOUT_MS: 5_000,
} as const;
