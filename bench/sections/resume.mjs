// Resume: a device carrying an active call drops its socket and comes back on a new one, on the same
// gateway node or the other; timed from sending `call:resume` to its ack. Figure: resume.p99Ms.
// Baseline (detail only): the first acked message on a fresh socket to a bare Socket.IO node, the
// floor any resume sits on. See bench/README.md.
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { Platform, deleteRedisKeys, testRedisPrefix } from '#testing';
import { activeCall } from '../lib/active-call.mjs';
import { startBaselineNode } from '../lib/baseline-node.mjs';
import { runSection } from '../lib/section.mjs';
import { markdownTable, pct } from '../lib/stats.mjs';

/** The next `event` for `callId` that `device` had not received when this was called. */
function fresh(device, event, callId) {
  const seen = new Set(device.received.map((r) => r.payload));
  return device.next(event, (p) => p.callId === callId && !seen.has(p));
}

/** An answered call, caller on node 1 and callee on node 2, with each side's resume token. */
async function callAcrossNodes(platform) {
  const { caller, callee, callId, callerToken, calleeToken } = await activeCall(platform, ...platform.gateways);
  return {
    callId,
    parties: [
      { device: caller, node: 0, token: callerToken },
      { device: callee, node: 1, token: calleeToken },
    ],
  };
}

/**
 * One sample: `party` drops its socket; once the peer has been told (the server has seen the drop),
 * the device connects to `node` and resumes. Returns the ms from emitting call:resume to its ack.
 */
async function resumeOnce(platform, call, party, peer, node) {
  const reconnecting = fresh(peer.device, 'call:peer-reconnecting', call.callId);
  party.device.close();
  await reconnecting;
  const back = await platform.reconnect(party.device, platform.gateways[node]);
  const resumed = fresh(peer.device, 'call:peer-resumed', call.callId);
  const t0 = performance.now();
  const ack = await back.send('call:resume', { callId: call.callId, resumeToken: party.token, lastSeq: back.lastSeqOf(call.callId) });
  const ms = performance.now() - t0;
  if (!ack.ok) throw new Error(`call:resume refused: ${ack.error.code} ${ack.error.message}`);
  await resumed;
  Object.assign(party, { device: back, node, token: ack.data.resumeToken });
  return ms;
}

/** The baseline: connect a fresh socket to a bare node and time its first acked message. */
async function firstAckOnFreshSocket(node) {
  const socket = io(node.url, {
    auth: { userId: 'u', deviceId: 'd', peerRoom: 'nobody' },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  try {
    await new Promise((resolve, reject) => (socket.once('connect', resolve), socket.once('connect_error', reject)));
    const t0 = performance.now();
    await socket.timeout(10_000).emitWithAck('call:ice-candidate', { callId: randomUUID(), candidate: null });
    return performance.now() - t0;
  } finally {
    socket.close();
  }
}

await runSection('resume', async ({ quick, defer, started }) => {
  const calls = quick ? 1 : 4;
  const rounds = quick ? 3 : 25; // per call, each round: both parties, each once to the same node and once to the other
  const platform = await started(Platform.start({ gateways: 2, notifier: false }), (p) => p.stop());
  const baselinePrefix = `${testRedisPrefix()}bench:`;
  defer(() => deleteRedisKeys(baselinePrefix));
  const baseline = await started(startBaselineNode(baselinePrefix), (n) => n.stop());

  const active = [];
  for (let c = 0; c < calls; c++) active.push(await callAcrossNodes(platform));
  const samples = { sameNode: [], otherNode: [] };
  const floor = [];
  for (let r = 0; r < rounds; r++) {
    for (const call of active) {
      for (const [i, party] of call.parties.entries()) {
        const peer = call.parties[1 - i];
        samples.sameNode.push(await resumeOnce(platform, call, party, peer, party.node));
        samples.otherNode.push(await resumeOnce(platform, call, party, peer, 1 - party.node));
        floor.push(await firstAckOnFreshSocket(baseline));
      }
    }
  }

  const all = [...samples.sameNode, ...samples.otherNode];
  const stats = (v) => ({ n: v.length, p50: pct(v, 50), p95: pct(v, 95), p99: pct(v, 99), max: pct(v, 100) });
  const detail = {
    calls,
    rounds,
    all: stats(all),
    sameNode: stats(samples.sameNode),
    otherNode: stats(samples.otherNode),
    baselineFirstAck: stats(floor),
  };
  const rows = [
    ['resume, same node', detail.sameNode],
    ['resume, other node', detail.otherNode],
    ['resume, all', detail.all],
    ['baseline: first ack on a fresh bare socket', detail.baselineFirstAck],
  ].map(([label, s]) => [label, String(s.n), s.p50, s.p95, s.p99, s.max]);
  const table =
    `${markdownTable(['ms (call:resume → ack)', 'n', 'p50', 'p95', 'p99', 'max'], rows)}\n\n` +
    `${calls} active call(s); each party drops its socket, waits until the peer hears call:peer-reconnecting, reconnects and resumes.`;
  return { figures: { 'resume.p99Ms': detail.all.p99 }, detail, table };
});
