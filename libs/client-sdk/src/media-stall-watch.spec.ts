import { describe, expect, it } from '@jest/globals';
import { MediaStallWatch } from './media-stall-watch.js';

const setup = () => {
  const state = { packets: 0, now: 0 };
  const changes: boolean[] = [];
  const watch = new MediaStallWatch(
    async () => state.packets,
    (stalled) => changes.push(stalled),
    700,
    () => state.now,
  );
  const at = async (now: number, packets = state.packets) => {
    state.now = now;
    state.packets = packets;
    await watch.poll();
  };
  return { watch, changes, at };
};

describe('MediaStallWatch', () => {
  it('says stalled once no packet has arrived for the stall time, and recovered at the next packet', async () => {
    const { watch, changes, at } = setup();
    await at(0, 10);
    await at(200, 20);
    await at(800); // 600 ms without a packet: a loss burst, not a dead path
    expect(changes).toEqual([]);
    await at(900);
    expect(changes).toEqual([true]);
    expect(watch.stalled).toBe(true);
    await at(1100); // still stalled: told once
    await at(1300, 21);
    expect(changes).toEqual([true, false]);
  });

  it('never says stalled while packets keep coming, however few', async () => {
    const { changes, at } = setup();
    for (let t = 0; t < 10_000; t += 175) await at(t, t % 350 === 0 ? t : undefined);
    expect(changes).toEqual([]);
  });
});
