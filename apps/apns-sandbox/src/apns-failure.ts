/** An APNs error answer: Apple's HTTP status and the `reason` it puts in the JSON body. */
export interface ApnsFailure {
  readonly status: number;
  readonly reason: string;
}
