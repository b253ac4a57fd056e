import { describe, expect, it } from '@jest/globals';
import { SeqBuffer } from './seq-buffer.js';

describe('SeqBuffer', () => {
  const collect = (last = 0) => {
    const out: string[] = [];
    return { out, buffer: new SeqBuffer<string>((m) => out.push(m), last) };
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
});
