/**
 * Puts a call's relayed messages back in order. Each recipient's messages are numbered 1, 2, 3…
 * without gaps, so: a seq already delivered is a duplicate (live and replayed after a resume), a
 * seq that skips ahead waits until the replay fills the gap.
 */
export class SeqBuffer<T> {
  private readonly held = new Map<number, T>();

  /** `last`: the highest seq already delivered (after a reconnect, what the app had seen). */
  constructor(
    private readonly deliver: (message: T) => void,
    private last = 0,
  ) {}

  get lastSeq(): number {
    return this.last;
  }

  /** Returns false for a duplicate. */
  push(seq: number, message: T): boolean {
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
}
