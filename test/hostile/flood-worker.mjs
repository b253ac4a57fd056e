// One flooding client in a thread of its own, as it would be on its own phone: its sending and the
// 200 relays a second its peer receives must not slow the process that times the other call.
// Plain JS because a worker thread loads its file through Node, not through jest's transform.
import { parentPort, workerData } from 'node:worker_threads';
import { io } from 'socket.io-client';

const { url, callerToken, calleeToken, calleeId, points, seconds } = workerData;
const connect = (token, deviceId) =>
  new Promise((resolve, reject) => {
    const socket = io(url, {
      auth: { token, deviceId, appState: 'foreground' },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
const candidate = (n) => ({ candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${n % 60000} typ host`, sdpMid: '0', sdpMLineIndex: 0 });

const caller = await connect(callerToken, 'flood-caller');
const callee = await connect(calleeToken, 'flood-callee');
const accepted = new Promise((resolve) => caller.on('call:accepted', resolve));
const invite = await caller.emitWithAck('call:invite', { calleeId, media: 'video', idempotencyKey: `flood-${Date.now()}` });
if (!invite.ok) throw new Error(`invite refused: ${JSON.stringify(invite)}`);
const callId = invite.data.callId;
const accept = await callee.emitWithAck('call:accept', { callId });
if (!accept.ok) throw new Error(`accept refused: ${JSON.stringify(accept)}`);
await accepted;
// Media up on both sides, or the call ends as failed after CONNECT_TIMEOUT_MS, mid-measurement.
for (const socket of [caller, callee]) {
  const ack = await socket.emitWithAck('call:ice-state', { callId, state: 'connected' });
  if (!ack.ok) throw new Error(`ice-state refused: ${JSON.stringify(ack)}`);
}

let flooding = false;
let running = Promise.resolve();
let n = 0;
const acks = [];
/**
 * Exactly the budget, spread evenly: each wake-up sends what the schedule says is due by now, so
 * timer lateness never lowers the rate, and no burst of a whole window's budget lands at once.
 */
async function flood() {
  const intervalMs = (seconds * 1000) / points;
  const start = performance.now();
  let sent = 0;
  while (flooding) {
    const due = Math.floor((performance.now() - start) / intervalMs) + 1;
    for (; sent < due; sent += 1, n += 1)
      acks.push(
        caller
          .timeout(10_000)
          .emitWithAck('call:ice-candidate', { callId, candidate: candidate(n) })
          .then(
            (a) => a.ok,
            () => false,
          ),
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

parentPort.on('message', async (command) => {
  if (command === 'flood') {
    flooding = true;
    running = flood();
  } else if (command === 'stop') {
    flooding = false;
    await running;
    const results = await Promise.all(acks.splice(0));
    parentPort.postMessage({ sent: results.length, refused: results.filter((ok) => !ok).length, connected: caller.connected });
  } else if (command === 'close') {
    caller.close();
    callee.close();
    parentPort.close();
  }
});
parentPort.postMessage({ ready: callId });
