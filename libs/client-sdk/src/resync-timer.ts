import type { ResyncReason } from './call-resync.js';

/**
 * Asks `call:state` every `periodMs` while the call stays in a late phase. `arm()` restarts the
 * count (a call that moves on, e.g. `call:ringing`, gets a full period again); `clear()` stops it.
 */
export class ResyncTimer {
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped by every arm and clear: an ask that finds it changed must not re-arm (the call moved on or was torn down). */
  private generation = 0;

  constructor(
    private readonly periodMs: number,
    private readonly stalled: () => ResyncReason | null,
    private readonly ask: (reason: ResyncReason) => Promise<void>,
  ) {}

  arm(): void {
    this.clear();
    if (this.stalled()) this.timer = setTimeout(() => void this.due(), this.periodMs);
  }

  clear(): void {
    this.generation += 1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async due(): Promise<void> {
    this.timer = null;
    const reason = this.stalled();
    if (!reason) return;
    const generation = this.generation;
    await this.ask(reason).catch(() => undefined);
    if (generation === this.generation) this.arm(); // still late: ask again after another period
  }
}
