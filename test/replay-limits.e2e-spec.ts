import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DEFAULT_RELAY_SDP_MAX_BYTES, DEFAULT_RELAY_STORE_MAX_BYTES, REPLAY_PAGE_MESSAGES, Rooms } from '#contracts';
import { Platform, type TestDevice, iceCandidate } from '#testing';

// Issue 12's replay findings, played as an abusive client would, against the default byte caps: a
// stream of big SDPs, then a stream filled to its cap, resumed many times at once.
const key = () => `key-${randomUUID()}`;
const tag = () => randomUUID().slice(0, 8);
/** A legal SDP the size of issue 12's (60 KiB), marked so a test can tell which one it is. */
const bigSdp = (mark: string) => `v=0\r\na=mark:${mark}\r\n${'a=x-pad:0123456789abcdef\r\n'.repeat(2400)}`;
/** A legal candidate near its 1 KiB cap: fewer messages fill a stream. */
const bigCandidate = (n: number) => ({ ...iceCandidate(n), candidate: `${iceCandidate(n).candidate} ufrag ${'u'.repeat(900)}` });
const refusal = (ack: { ok: boolean; error?: { code: string } }) => (ack.ok ? 'ok' : ack.error!.code);

let platform: Platform;
let redis: Redis;

beforeAll(async () => {
  // The byte caps are the defaults under test. The per-socket relay and resume rates are raised: the
  // test fills a stream in a second, and resumes from one socket back to back; the per-device
  // resume rule is what must refuse them.
  platform = await Platform.start({ gateways: 2, env: { RATE_LIMIT_RELAY: '5000/1', RATE_LIMIT_RESUME: '100/1' } });
  redis = new Redis(platform.redisUrl);
}, 60_000);
afterAll(async () => {
  redis?.disconnect();
  await platform?.stop();
});

async function activeCall(gateway = platform.gateway) {
  const t = tag();
  const caller = await platform.device(`rl-caller-${t}`, { gateway });
  const callee = await platform.device(`rl-callee-${t}`, { gateway });
  const { callId } = await caller.must('call:invite', { calleeId: callee.userId, media: 'video', idempotencyKey: key() });
  const accepted = await callee.must('call:accept', { callId });
  const { resumeToken: callerToken } = await caller.next('call:accepted', (p) => p.callId === callId);
  return { caller, callee, callId, resumeToken: accepted.resumeToken, callerToken };
}

const streamKey = (callId: string, to: TestDevice) =>
  `${platform.redisPrefix}call:{${callId}}:outbox:${Rooms.device(to.userId, to.deviceId)}`;

/** The bytes the caps count in a stored stream: every entry's event name and payload. */
async function storedBytes(callId: string, to: TestDevice): Promise<number> {
  const entries = await redis.xrange(streamKey(callId, to), '-', '+');
  return entries.reduce((sum, [, fields]) => sum + fields.filter((_, i) => i % 2 === 1).reduce((s, v) => s + Buffer.byteLength(v), 0), 0);
}

/**
 * The caller relays big SDPs until one is refused, then big candidates until one is refused (bounded,
 * so a store without caps ends too). Returns the acks' codes in the order sent.
 */
async function fill(caller: TestDevice, callId: string): Promise<{ sdps: string[]; candidates: string[] }> {
  const sdps: string[] = [];
  for (let i = 0; i < 8 && !sdps.includes('RELAY_QUOTA_EXCEEDED'); i++) {
    const ack = await caller.send('call:sdp', { callId, description: { type: 'offer', sdp: bigSdp(`sdp-${i}`) }, iceRestart: false });
    sdps.push(refusal(ack));
  }
  const candidates: string[] = [];
  for (let n = 0; n < 2000 && !candidates.includes('RELAY_QUOTA_EXCEEDED'); n += 100) {
    const batch = Array.from({ length: 100 }, (_, i) => caller.send('call:ice-candidate', { callId, candidate: bigCandidate(n + i) }));
    candidates.push(...(await Promise.all(batch)).map(refusal));
  }
  return { sdps, candidates };
}

describe('the replay store has byte caps', () => {
  let call: Awaited<ReturnType<typeof activeCall>>;
  let filled: Awaited<ReturnType<typeof fill>>;

  beforeAll(async () => {
    call = await activeCall();
    filled = await fill(call.caller, call.callId);
  }, 60_000);

  it('refuses an SDP past the per-call SDP cap: not delivered, not stored, not replayed', async () => {
    const accepted = filled.sdps.filter((c) => c === 'ok').length;
    expect(accepted).toBeGreaterThan(0);
    expect(accepted * bigSdp('sdp-0').length).toBeLessThanOrEqual(DEFAULT_RELAY_SDP_MAX_BYTES);
    expect(filled.sdps).toEqual([...Array(accepted).fill('ok'), 'RELAY_QUOTA_EXCEEDED']);
    const refused = `sdp-${accepted}`;

    // The candidates sent after the refused SDP arrived, so the refused one would have by then.
    const lastOk = filled.candidates.lastIndexOf('ok');
    await call.callee.next('call:ice-candidate', (p) => p.candidate?.candidate === bigCandidate(lastOk).candidate);
    const delivered = call.callee.received.filter((r) => r.event === 'call:sdp').map((r) => JSON.stringify(r.payload));
    expect(delivered).toHaveLength(accepted);
    expect(delivered.some((p) => p.includes(`a=mark:${refused}\\r\\n`))).toBe(false);
    const stored = await redis.xrange(streamKey(call.callId, call.callee), '-', '+');
    expect(stored.some(([, fields]) => fields.some((f) => f.includes(`a=mark:${refused}\\r\\n`)))).toBe(false);
  });

  it('keeps the stream under the per-recipient byte cap and refuses relays past it', async () => {
    expect(filled.candidates.at(-1)).toBe('RELAY_QUOTA_EXCEEDED');
    const bytes = await storedBytes(call.callId, call.callee);
    expect(bytes).toBeLessThanOrEqual(DEFAULT_RELAY_STORE_MAX_BYTES);
    expect(bytes).toBeGreaterThan(DEFAULT_RELAY_STORE_MAX_BYTES - 2048); // full, to within a message
    const memory = Number(await redis.call('MEMORY', 'USAGE', streamKey(call.callId, call.callee), 'SAMPLES', '0'));
    expect(memory).toBeLessThan(2 * DEFAULT_RELAY_STORE_MAX_BYTES);
    // (SAMPLES 0: every entry counted; the default samples five, and the first ones are the big SDPs.)
    // Full stays full: another big candidate is refused, and nothing was added.
    const again = await call.caller.send('call:ice-candidate', { callId: call.callId, candidate: bigCandidate(9999) });
    expect(again).toMatchObject({ ok: false, error: { code: 'RELAY_QUOTA_EXCEEDED' } });
    expect(await storedBytes(call.callId, call.callee)).toBe(bytes);
    // The other direction has its own stream and budget.
    await call.callee.must('call:ice-candidate', { callId: call.callId, candidate: iceCandidate(1) });
    await call.caller.next('call:ice-candidate', (p) => p.candidate?.candidate === iceCandidate(1).candidate);
  });

  it('refuses the first relay of a socket that resumed the sender onto a full stream (its claim), and keeps refusing', async () => {
    const again = await platform.device(call.caller.userId, { deviceId: call.caller.deviceId, gateway: platform.gateways[1] });
    await again.must('call:resume', { callId: call.callId, resumeToken: call.callerToken, lastSeq: 0 });
    const before = await storedBytes(call.callId, call.callee);
    const sends = [0, 1, 2].map((i) => again.send('call:ice-candidate', { callId: call.callId, candidate: bigCandidate(20_000 + i) }));
    const acks = await Promise.all(sends);
    for (const ack of acks) expect(ack).toMatchObject({ ok: false, error: { code: 'RELAY_QUOTA_EXCEEDED' } });
    expect(await storedBytes(call.callId, call.callee)).toBe(before);
    call.caller = again;
  });

  it('replays a full stream from the start complete and in seq order, over many pages', async () => {
    const back = await platform.device(call.callee.userId, { deviceId: call.callee.deviceId, gateway: platform.gateways[1] });
    const seqs: number[] = [];
    back.socket.onAny((event: string, p: { callId?: string; seq?: number }) => {
      if (p?.callId === call.callId && typeof p.seq === 'number') seqs.push(p.seq);
    });
    const stored = (await redis.xrange(streamKey(call.callId, call.callee), '-', '+')).length;
    expect(stored).toBeGreaterThan(2 * REPLAY_PAGE_MESSAGES);
    const ack = await back.must('call:resume', { callId: call.callId, resumeToken: call.resumeToken, lastSeq: 0 });
    expect(ack).toMatchObject({ replayed: stored, replayComplete: true });
    expect(seqs).toEqual(Array.from({ length: stored }, (_, i) => i + 1));
    expect(back.duplicates).toHaveLength(0);
    back.close();
  });
});

describe('one resume per device in flight', () => {
  it('serves one of many concurrent resumes of a full stream from one device and refuses the rest, while another call relays', async () => {
    const call = await activeCall();
    await fill(call.caller, call.callId);
    const other = await activeCall();
    const { userId, deviceId } = call.callee;
    // Sockets of the callee's device on both gateway nodes (their per-device socket cap allows these).
    const sockets = await Promise.all([0, 0, 0, 1, 1, 1].map((g) => platform.device(userId, { deviceId, gateway: platform.gateways[g] })));
    const [acks] = await Promise.all([
      Promise.all(sockets.map((s) => s.send('call:resume', { callId: call.callId, resumeToken: call.resumeToken, lastSeq: 0 }))),
      (async () => {
        for (let i = 0; i < 20; i++) await other.caller.must('call:ice-candidate', { callId: other.callId, candidate: iceCandidate(i) });
        await other.callee.next('call:ice-candidate', (p) => p.candidate?.candidate === iceCandidate(19).candidate);
      })(),
    ]);
    const served = acks.filter((a) => a.ok);
    const refused = acks.filter((a) => !a.ok);
    expect(served).toHaveLength(1);
    for (const a of refused) {
      expect(a).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      expect(!a.ok && a.error.retryAfterMs).toBeGreaterThan(0);
    }
    // A refused resume changed nothing: its socket got no replay (the served one got the stream).
    const relayed = (s: TestDevice) =>
      s.received.filter(
        (r) => (r.payload as { callId?: string; seq?: number }).callId === call.callId && (r.payload as { seq?: number }).seq !== undefined,
      ).length;
    const servedSocket = sockets[acks.findIndex((a) => a.ok)]!;
    expect(relayed(servedSocket)).toBe(served[0]!.ok ? served[0]!.data.replayed : -1);
    for (const [i, s] of sockets.entries()) if (!acks[i]!.ok) expect(relayed(s)).toBe(0);

    // Once it is done, the device may resume again.
    expect((await sockets[0]!.send('call:resume', { callId: call.callId, resumeToken: call.resumeToken, lastSeq: 0 })).ok).toBe(true);
    for (const s of sockets) s.close();
  }, 60_000);
});
