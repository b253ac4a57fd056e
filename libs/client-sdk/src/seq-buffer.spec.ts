import { describe, expect, it } from '@jest/globals';
import { SeqBuffer } from './seq-buffer.js';

describe('SeqBuffer', () => {
  const collect = (last = 0, epoch?: number) => {
    const out: string[] = [];
    return { out, buffer: new SeqBuffer<string>((m) => out.push(m), last, epoch) };
  };

  it('delivers in order as messages arrive in order', () => {
    const { out, buffer } = collect();
    ['a', 'b', 'c'].forEach((m, i) => expect(buffer.push(i + 1, m)).toBe(true));
    expect(out).toEqual(['a', 'b', 'c']);
    expect(buffer.lastSeq).toBe(3);
  });

  it('holds a message that skips ahead until the replay fills the gap, then delivers each once', () => {
    const { out, buffer } = collect(1);
    expect(buffer.push(5, 'live-5')).toBe(true); // arrived live before the replay
    expect(out).toEqual([]);
    for (const seq of [2, 3, 4]) buffer.push(seq, `replay-${seq}`);
    expect(buffer.push(5, 'replay-5')).toBe(false); // the replayed copy of 5 is a duplicate
    expect(out).toEqual(['replay-2', 'replay-3', 'replay-4', 'live-5']);
  });

  it('drops what was already delivered', () => {
    const { out, buffer } = collect(3);
    expect(buffer.push(2, 'old')).toBe(false);
    expect(buffer.push(3, 'old')).toBe(false);
    expect(buffer.push(4, 'new')).toBe(true);
    expect(out).toEqual(['new']);
  });

  describe('epochs', () => {
    it('starts with no epoch and adopts the first one it sees, keeping its numbering', () => {
      const { out, buffer } = collect(2);
      expect(buffer.epoch).toBeUndefined();
      expect(buffer.push(3, 'c', 100)).toBe(true);
      expect(buffer.epoch).toBe(100);
      expect(buffer.lastSeq).toBe(3);
      expect(out).toEqual(['c']);
    });

    it('applies the seq rules within an epoch: duplicates dropped, gaps held', () => {
      const { out, buffer } = collect(0, 100);
      expect(buffer.push(1, 'a', 100)).toBe(true);
      expect(buffer.push(1, 'a again', 100)).toBe(false);
      expect(buffer.push(3, 'c', 100)).toBe(true);
      expect(out).toEqual(['a']);
      expect(buffer.push(2, 'b', 100)).toBe(true);
      expect(out).toEqual(['a', 'b', 'c']);
      expect(buffer.lastSeq).toBe(3);
    });

    it('on a larger epoch, delivers what it held in seq order, gaps and all, then starts over at 1', () => {
      const { out, buffer } = collect(1, 100);
      buffer.push(5, 'old-5', 100);
      buffer.push(3, 'old-3', 100); // 2 and 4 are lost with the store
      expect(out).toEqual([]);
      expect(buffer.push(2, 'new-2', 200)).toBe(true); // held: 1 of the new epoch is still to come
      expect(out).toEqual(['old-3', 'old-5']);
      expect(buffer.epoch).toBe(200);
      expect(buffer.lastSeq).toBe(0);
      expect(buffer.push(1, 'new-1', 200)).toBe(true);
      expect(out).toEqual(['old-3', 'old-5', 'new-1', 'new-2']);
      expect(buffer.lastSeq).toBe(2);
    });

    it('drops a message from an older epoch, even with a seq it has not seen', () => {
      const { out, buffer } = collect(0, 200);
      expect(buffer.push(1, 'stale', 100)).toBe(false);
      expect(buffer.push(9, 'stale', 100)).toBe(false);
      expect(buffer.push(1, 'fresh', 200)).toBe(true);
      expect(out).toEqual(['fresh']);
      expect(buffer.epoch).toBe(200);
    });

    it('adopts the epoch of a resume ack: a newer one flushes and resets, an equal or older one changes nothing', () => {
      const { out, buffer } = collect(4, 100);
      buffer.push(6, 'held-6', 100);
      expect(buffer.adopt(100)).toBe(false);
      expect(buffer.adopt(50)).toBe(false);
      expect(buffer.lastSeq).toBe(4);
      expect(buffer.adopt(300)).toBe(true);
      expect(out).toEqual(['held-6']);
      expect(buffer.lastSeq).toBe(0);
      expect(buffer.epoch).toBe(300);
    });

    it('adopting a first epoch keeps the numbering and reports no restart', () => {
      const { buffer } = collect();
      expect(buffer.adopt(100)).toBe(false);
      expect(buffer.epoch).toBe(100);
      expect(buffer.lastSeq).toBe(0);
    });

    it('keeps the current numbering for messages that carry no epoch', () => {
      const { out, buffer } = collect(0, 100);
      expect(buffer.push(1, 'a')).toBe(true);
      expect(buffer.push(1, 'a')).toBe(false);
      expect(out).toEqual(['a']);
      expect(buffer.epoch).toBe(100);
    });
  });
});
