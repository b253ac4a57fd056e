import { Timeouts } from '#contracts';

/**
 * Notices when media stops arriving, long before ICE says so: it polls a count of received packets
 * and calls `onChange(true)` once the count has stood still for `stallMs`, then `onChange(false)`
 * when it moves again. Chromium reports ICE `disconnected` only after 5–6 s without packets.
 */
export class MediaStallWatch {
  stalled = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private last = -1;
  private movedAt = 0;
  private polling = false;

  constructor(
    private readonly count: () => Promise<number>,
    private readonly onChange: (stalled: boolean) => void,
    private readonly stallMs: number = Timeouts.CLIENT_MEDIA_STALL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Idempotent: media connected (again). */
  start(): void {
    if (this.timer) return;
    this.movedAt = this.now();
    this.timer = setInterval(() => void this.poll(), this.stallMs / 4);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const count = await this.count();
      const now = this.now();
      if (count !== this.last) {
        this.last = count;
        this.movedAt = now;
        if (this.stalled) this.change(false);
      } else if (!this.stalled && now - this.movedAt >= this.stallMs) this.change(true);
    } catch {
      // A closed peer connection has no stats: the next start begins afresh.
    } finally {
      this.polling = false;
    }
  }

  private change(stalled: boolean): void {
    this.stalled = stalled;
    this.onChange(stalled);
  }
}
