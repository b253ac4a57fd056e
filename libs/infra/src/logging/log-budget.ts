/**
 * At most `lines` per `windowMs`, for log lines a client can cause at will (refused handshakes
 * and messages): a flood then costs a few lines a second and a count of what was left out, not
 * the disk. Per process, not per client, so many attackers cannot add up to a flood either.
 */
export class LogBudget {
  private windowStart = 0;
  private used = 0;
  private skipped = 0;

  constructor(
    private readonly lines: number,
    private readonly windowMs = 1_000,
  ) {}

  /** null: skip this line. Otherwise how many were skipped since the last one allowed. */
  take(now = Date.now()): number | null {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.lines) {
      this.skipped += 1;
      return null;
    }
    this.used += 1;
    const skipped = this.skipped;
    this.skipped = 0;
    return skipped;
  }
}
