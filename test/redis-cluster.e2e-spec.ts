import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { Platform, PrivateRedisCluster, type TestDevice, iceCandidate as candidate } from '#testing';

const RING_TIMEOUT_MS = 2500;
let cluster: PrivateRedisCluster;
let platform: Platform;

beforeAll(async () => {
  cluster = await PrivateRedisCluster.start(3);
  platform = await Platform.start({
    redisClusterNodes: cluster.urls,
    // Nothing listens there: an app that ignored the cluster would never become ready.
    redisUrl: 'redis://127.0.0.1:1',
    gateways: 2,
    callsInstances: 2,
    ringTimeoutMs: RING_TIMEOUT_MS,
  });
}, 150_000);
afterAll(async () => {
  await platform?.stop();
  await cluster?.stop();
});

/** Caller on gateway node 0 (calls instance 0), callee on node 1 (calls instance 1). */
async function parties() {
  const tag = randomUUID().slice(0, 8);
  const caller = await platform.device(`rc-alice-${tag}`, { deviceId: 'alice-phone', gateway: platform.gateways[0] });
  const callee = await platform.device(`rc-bob-${tag}`, { deviceId: 'bob-phone', gateway: platform.gateways[1] });
  return { caller, callee };
}

async function answeredCall(caller: TestDevice, callee: TestDevice) {
  const { callId } = await caller.must('call:invite', { calleeId: callee.userId, media: 'video', idempotencyKey: `key-${randomUUID()}` });
  await callee.next('call:incoming', (p) => p.callId === callId);
  await callee.must('call:ringing', { callId });
  await caller.next('call:ringing', (p) => p.callId === callId);
  await callee.must('call:accept', { callId });
  const callerAccepted = await caller.next('call:accepted', (p) => p.callId === callId);
  const calleeAccepted = await callee.next('call:accepted', (p) => p.callId === callId);
  return { callId, callerAccepted, calleeAccepted };
}

describe('the platform on a 3-master Redis Cluster, 2 gateway nodes and 2 calls instances', () => {
  it('connects a call across the two gateway nodes and relays the negotiation both ways', async () => {
    const { caller, callee } = await parties();
    const { callId } = await answeredCall(caller, callee);

    await caller.must('call:sdp', { callId, description: { type: 'offer', sdp: 'v=0\r\noffer\r\n' } });
    expect(await callee.next('call:sdp', (p) => p.callId === callId)).toMatchObject({ description: { type: 'offer' } });
    await callee.must('call:sdp', { callId, description: { type: 'answer', sdp: 'v=0\r\nanswer\r\n' } });
    expect(await caller.next('call:sdp', (p) => p.callId === callId)).toMatchObject({ description: { type: 'answer' } });
    await caller.must('call:ice-candidate', { callId, candidate: candidate(1) });
    await callee.must('call:ice-candidate', { callId, candidate: candidate(2) });
    await callee.next('call:ice-candidate', (p) => p.candidate?.candidate === candidate(1).candidate);
    await caller.next('call:ice-candidate', (p) => p.candidate?.candidate === candidate(2).candidate);

    await caller.must('call:hangup', { callId });
    expect(await callee.next('call:ended', (p) => p.callId === callId)).toMatchObject({ reason: 'completed' });
    const { rows } = await platform.db.query('SELECT state, end_reason FROM calls WHERE id = $1', [callId]);
    expect(rows[0]).toEqual({ state: 'ended', end_reason: 'completed' });
  });

  it('resumes a dropped party on the other gateway node and replays the relay it missed meanwhile', async () => {
    const { caller, callee } = await parties();
    const { callId, calleeAccepted } = await answeredCall(caller, callee);
    callee.close();
    await caller.next('call:peer-reconnecting', (p) => p.callId === callId);
    await caller.must('call:sdp', { callId, description: { type: 'offer', sdp: 'v=0\r\nwhile-away\r\n' } });

    const back = await platform.reconnect(callee, platform.gateways[0]);
    const ack = await back.send('call:resume', { callId, resumeToken: calleeAccepted.resumeToken, lastSeq: back.lastSeqOf(callId) });
    expect(ack).toMatchObject({ ok: true, data: { callId, state: 'active', role: 'callee', replayed: 1 } });
    expect(await back.next('call:sdp', (p) => p.callId === callId)).toMatchObject({ description: { sdp: 'v=0\r\nwhile-away\r\n' } });
    await caller.next('call:peer-resumed', (p) => p.callId === callId);

    // Both parties now sit on node 0; the call goes on both ways.
    await back.must('call:ice-candidate', { callId, candidate: candidate(3) });
    await caller.next('call:ice-candidate', (p) => p.candidate?.candidate === candidate(3).candidate);
    await caller.must('call:ice-candidate', { callId, candidate: candidate(4) });
    await back.next('call:ice-candidate', (p) => p.candidate?.candidate === candidate(4).candidate);
    expect(back.duplicates).toEqual([]);
    await back.must('call:hangup', { callId });
    expect(await caller.next('call:ended', (p) => p.callId === callId)).toMatchObject({ reason: 'completed' });
  });

  it('wakes a sleeping callee with a VoIP push, then ends the unanswered call as missed and tells the caller', async () => {
    const { caller } = await parties();
    const calleeId = `rc-sleepy-${randomUUID().slice(0, 8)}`;
    const voipToken = randomBytes(32).toString('hex');
    expect(await platform.registerVoipDevice(calleeId, 'phone', voipToken)).toMatchObject({ status: 200 });

    const { callId } = await caller.must('call:invite', { calleeId, media: 'audio', idempotencyKey: `key-${randomUUID()}` });
    const push = await platform.apns!.waitFor((r) => r.token === voipToken && r.status === 200);
    expect(push.payload).toMatchObject({ callId });
    expect(await caller.next('call:ended', (p) => p.callId === callId, RING_TIMEOUT_MS + 10_000)).toMatchObject({
      callId,
      reason: 'missed',
    });
    const { rows } = await platform.db.query('SELECT state, end_reason FROM calls WHERE id = $1', [callId]);
    expect(rows[0]).toEqual({ state: 'ended', end_reason: 'missed' });
  });

  it('keeps every Bull queue in one hash-tagged slot and carries rooms on sharded channels', async () => {
    const { caller, callee } = await parties();
    const redis = new Cluster(cluster.urls.map((u) => ({ host: '127.0.0.1', port: Number(new URL(u).port) })));
    try {
      await redis.ping(); // the masters are known once the client is ready
      const bullTag = `{${platform.redisPrefix}bull}`;
      const queueKeys = await Promise.all(redis.nodes('master').map((node) => node.keys(`${bullTag}:*`)));
      expect(queueKeys.flat().length).toBeGreaterThan(0);
      // Sharded channels: each master knows only those in its slots; a device room is one of them.
      const channels = await Promise.all(redis.nodes('master').map((node) => node.call('PUBSUB', 'SHARDCHANNELS', '*')));
      expect((channels as string[][]).flat()).toEqual(
        expect.arrayContaining([expect.stringContaining(`device:${callee.userId}:bob-phone`)]),
      );
    } finally {
      redis.disconnect();
      caller.close();
      callee.close();
    }
  });
});
