import { afterAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DEFAULT_RELAY_SDP_MAX_BYTES, DEFAULT_RELAY_STORE_MAX_BYTES } from '#contracts';
import { TEST_REDIS_URL, deleteRedisKeys, testRedisPrefix } from '#testing';
import type { GatewayConfig } from '../config/gateway.config.js';
import { CallOutbox, type OutboxMessage } from './call-outbox.service.js';

/** Against a real Redis: what a resume would replay is the proof of what was kept. */
describe('CallOutbox relay', () => {
  const prefix = testRedisPrefix();
  const redis = new Redis(TEST_REDIS_URL);
  const config = {
    REDIS_PREFIX: prefix,
    RELAY_STORE_MAX_BYTES: DEFAULT_RELAY_STORE_MAX_BYTES,
    RELAY_SDP_MAX_BYTES: DEFAULT_RELAY_SDP_MAX_BYTES,
  };
  const outbox = new CallOutbox(redis, config as GatewayConfig);

  afterAll(async () => {
    await deleteRedisKeys(prefix);
    await redis.quit();
  });

  it('keeps a message whose forward threw, so the peer replays it instead of waiting on a gap', async () => {
    const sender = {};
    const callId = randomUUID();
    const to = 'device:bob:phone';
    await outbox.open(callId, [to]);
    const forwarded: number[] = [];
    const relay = (n: number, forward = (seq: number) => void forwarded.push(seq)) =>
      outbox.relay(sender, callId, to, 'call:ice-candidate', { callId, n }, forward);

    await relay(1); // the claim
    const broken = new Error('the adapter refused the broadcast');
    await expect(
      relay(2, () => {
        throw broken;
      }),
    ).rejects.toBe(broken);
    await outbox.settled(sender, callId);
    await relay(3);

    const replayed: OutboxMessage[] = [];
    const replay = await outbox.replay(callId, to, 0, undefined, async (messages) => void replayed.push(...messages));
    expect(forwarded).toEqual([1, 3]);
    expect(replayed.map((m) => [m.seq, m.payload.n])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(replay.complete).toBe(true);
  });
});
