/** A request APNs did not answer: timed out, refused, reset, or lost with its connection. */
export class ApnsTransportError extends Error {
  override name = 'ApnsTransportError';
  /** The apns-id the request carried, so the failed attempt can still be traced. */
  apnsId: string | null = null;

  constructor(
    /** Stable, for the timeline's `reason`: ours (`ApnsRequestTimeout`, `ApnsStreamRefused`, `ApnsGoawayCovered`) or Node's. */
    readonly code: string,
    message: string,
    /**
     * A GOAWAY's last-stream-id covered the stream, so APNs took the push in even though its answer was
     * lost with the connection. Sending it again would ring the phone a second time.
     */
    readonly covered = false,
  ) {
    super(message);
  }
}
