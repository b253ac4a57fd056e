import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { ResyncReason } from './call-resync.js';
import { ResyncTimer } from './resync-timer.js';

describe('ResyncTimer', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const setup = () => {
    const state: { reason: ResyncReason | null } = { reason: 'outgoing-stalled' };
    const asked: ResyncReason[] = [];
    const timer = new ResyncTimer(
      10_000,
      () => state.reason,
      async (reason) => void asked.push(reason),
    );
    return { state, asked, timer };
  };

  it('asks once a period has passed in a late phase, and again every period while it lasts', async () => {
    const { asked, timer } = setup();
    timer.arm();
    await jest.advanceTimersByTimeAsync(9_999);
    expect(asked).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(asked).toEqual(['outgoing-stalled']);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(asked).toHaveLength(3);
  });

  it('restarts the count when armed again (the call moved on)', async () => {
    const { asked, timer } = setup();
    timer.arm();
    await jest.advanceTimersByTimeAsync(8_000);
    timer.arm(); // call:ringing
    await jest.advanceTimersByTimeAsync(8_000);
    expect(asked).toEqual([]);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(asked).toEqual(['outgoing-stalled']);
  });

  it('stops when the phase is no longer late, and on clear', async () => {
    const { state, asked, timer } = setup();
    timer.arm();
    state.reason = null; // media connected
    await jest.advanceTimersByTimeAsync(30_000);
    expect(asked).toEqual([]);
    state.reason = 'media-not-connected';
    timer.arm();
    timer.clear(); // teardown
    await jest.advanceTimersByTimeAsync(30_000);
    expect(asked).toEqual([]);
  });

  it('does not re-arm when cleared while an ask is in flight (the client was closed)', async () => {
    let release: () => void = () => undefined;
    const asked: ResyncReason[] = [];
    const timer = new ResyncTimer(
      10_000,
      () => 'outgoing-stalled',
      (reason) => new Promise<void>((resolve) => ((release = resolve), asked.push(reason))),
    );
    timer.arm();
    await jest.advanceTimersByTimeAsync(10_000);
    timer.clear();
    release();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(asked).toEqual(['outgoing-stalled']);
  });

  it('asks with the reason of the moment, and keeps asking after a failed ask', async () => {
    const { state, asked, timer } = setup();
    const failing = new ResyncTimer(
      10_000,
      () => state.reason,
      async (reason) => {
        asked.push(reason);
        throw new Error('CALLS_UNAVAILABLE');
      },
    );
    failing.arm();
    state.reason = 'media-not-connected';
    await jest.advanceTimersByTimeAsync(20_000);
    expect(asked).toEqual(['media-not-connected', 'media-not-connected']);
    failing.clear();
    timer.clear();
  });
});
