/** The provider token's claims as sent, decoded without trusting them (so rejected tokens can be inspected). */
export interface ApnsJwtClaims {
  readonly kid: string | null;
  readonly iss: string | null;
  readonly iat: number | null;
}

/**
 * What became of a request: answered with a status, left hanging by a `{ hang: true }` script,
 * or dropped with its session by a `{ goaway: true }` script (status and reason are then null).
 */
export type ApnsRequestOutcome = 'answered' | 'hung' | 'goaway';

/** One request as the sandbox saw it, valid or not. */
export interface ApnsRecordedRequest {
  readonly at: Date;
  readonly method: string;
  readonly path: string;
  /** The path's token segment as sent; null when the path is not `/3/device/...`. */
  readonly token: string | null;
  /** Lowercased names, pseudo-headers left out, `authorization` kept. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The body parsed as JSON, or null when it is not JSON (APNs itself does not reject that). */
  readonly payload: unknown;
  readonly status: number | null;
  readonly reason: string | null;
  readonly apnsId: string | null;
  readonly jwt: ApnsJwtClaims | null;
  /** True when a script, not validation, chose the outcome. */
  readonly scripted: boolean;
  readonly outcome: ApnsRequestOutcome;
}
