/**
 * Puts a call's relayed messages back in order. Each recipient's messages are numbered 1, 2, 3…
 * without gaps within an epoch, so: a seq already delivered is a duplicate (live and replayed
 * after a resume), a seq that skips ahead waits until the replay fills the gap.
 *
 * An epoch is when the relay store began. A larger one means the store was lost and numbering
 * restarted at 1: what is held is delivered as it stands (its gaps can no longer be filled), and
 * the buffer starts over in the new epoch. A smaller one is a stale message from the lost store.
 * Messages without an epoch keep the current numbering.
 */
export class SeqBuffer<T> {
  private readonly held = new Map<number, T>();

  /**
   * `last`: the highest seq already delivered (after a reconnect, what the app had seen).
   * `epoch`: the epoch `last` belongs to; without one, the buffer adopts the first it sees.
   */
  constructor(
    private readonly deliver: (message: T) => void,
    private last = 0,
    private current?: number,
  ) {}

  get lastSeq(): number {
    return this.last;
  }

  /**
   * True while a later message waits for a missing one. A gap that stays open (its message was
   * numbered but its sender's node died before sending it) is filled by asking for a replay:
   * `call:resume` with `lastSeq`, on the same socket.
   */
  get hasGap(): boolean {
    return this.held.size > 0;
  }

  /** The epoch of `lastSeq`, for `call:resume`; undefined until one is known. */
  get epoch(): number | undefined {
    return this.current;
  }

  /** Returns false for a message it drops: a duplicate, or one from an older epoch. */
  push(seq: number, message: T, epoch?: number): boolean {
    if (epoch !== undefined && !this.adopt(epoch) && epoch !== this.current) return false;
    if (seq <= this.last || this.held.has(seq)) return false;
    this.held.set(seq, message);
    while (this.held.has(this.last + 1)) {
      const next = this.held.get(this.last + 1)!;
      this.held.delete(this.last + 1);
      this.last += 1;
      this.deliver(next);
    }
    return true;
  }

  /**
   * Moves to `epoch` if it is newer than the current one (or none is known yet). Returns true when
   * numbering restarted: the held messages were delivered in seq order and `lastSeq` is now 0.
   */
  adopt(epoch: number): boolean {
    if (this.current === undefined) {
      this.current = epoch;
      return false;
    }
    if (epoch <= this.current) return false;
    for (const seq of [...this.held.keys()].sort((a, b) => a - b)) {
      const message = this.held.get(seq)!;
      this.held.delete(seq);
      this.deliver(message);
    }
    this.current = epoch;
    this.last = 0;
    return true;
  }
}
