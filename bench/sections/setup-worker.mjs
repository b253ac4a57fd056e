// Client load for bench/sections/setup.mjs, in its own process so the load generator does not share
// an event loop with the measuring process. Driven over IPC (child_process.fork):
//   → { type: 'connect', pairs: [{ caller, callee, callerUrl, calleeUrl }], secret, namespace }
//   ← { type: 'connected' }
//   → { type: 'run', rate, durationMs, drainMs }   (open loop: a call starts every 1/rate s)
//   ← { type: 'result', started, completed, errors, incomingMs, acceptedMs, callMs }
//   → { type: 'close' }
// A "full call": invite, ringing, accept, offer/answer, 4 candidates each way, hangup. The same code
// drives the platform and the bare Socket.IO baseline; only the servers differ.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { io } from 'socket.io-client';

const ACK_TIMEOUT_MS = 10_000;
const EVENT_TIMEOUT_MS = 10_000;
const CANDIDATES = 4;
// About the size of a Safari/libwebrtc audio+video offer.
const SDP = `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${'a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\n'.repeat(60)}`;

const token = (secret, userId) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(secret));

/** A socket with a one-slot-per-event waiter: each pair runs one call at a time, so events need no matching. */
class Party {
  constructor(userId, socket) {
    this.userId = userId;
    this.socket = socket;
    this.waiters = new Map();
    this.early = new Map();
    for (const event of ['call:incoming', 'call:accepted', 'call:sdp', 'call:ice-candidate', 'call:ended'])
      socket.on(event, (payload) => this.arrived(event, payload));
  }

  static async connect(url, namespace, auth, userId) {
    const socket = io(`${url}${namespace}`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return new Party(userId, socket);
  }

  arrived(event, payload) {
    const at = performance.now();
    const waiter = this.waiters.get(event);
    if (waiter && --waiter.left === 0) {
      this.waiters.delete(event);
      clearTimeout(waiter.timer);
      waiter.resolve({ at, payload });
    } else if (!waiter) {
      const list = this.early.get(event) ?? [];
      list.push({ at, payload });
      this.early.set(event, list);
    }
  }

  /** Resolves when `count` more `event`s have arrived (counting ones that came before the wait). */
  wait(event, count = 1) {
    const early = this.early.get(event) ?? [];
    if (early.length >= count) {
      this.early.set(event, early.slice(count));
      return Promise.resolve(early[count - 1]);
    }
    this.early.delete(event);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(event);
        reject(new Error(`timeout:${event}`));
      }, EVENT_TIMEOUT_MS);
      this.waiters.set(event, { left: count - early.length, resolve, timer });
    });
  }

  reset() {
    this.early.clear();
  }

  async send(event, payload) {
    let ack;
    try {
      ack = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
    } catch {
      throw new Error(`ack-timeout:${event}`);
    }
    if (!ack?.ok) throw new Error(`${event}:${ack?.error?.code ?? 'refused'}`);
    return ack.data;
  }
}

const candidate = (i) => ({
  candidate: `candidate:${i} 1 udp 2122260223 127.0.0.1 ${50000 + i} typ host generation 0 ufrag bnch`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});

async function fullCall({ caller, callee }, sample) {
  caller.reset();
  callee.reset();
  const t0 = performance.now();
  const incoming = callee.wait('call:incoming');
  const invited = caller.send('call:invite', { calleeId: callee.userId, media: 'video', idempotencyKey: randomUUID() });
  const [{ at: incomingAt, payload }] = await Promise.all([incoming, invited]);
  sample.incomingMs = incomingAt - t0;
  const callId = payload.callId;
  await callee.send('call:ringing', { callId });
  const accepted = caller.wait('call:accepted');
  await callee.send('call:accept', { callId });
  sample.acceptedMs = (await accepted).at - t0;
  const offer = callee.wait('call:sdp');
  await caller.send('call:sdp', { callId, description: { type: 'offer', sdp: SDP } });
  await offer;
  const answer = caller.wait('call:sdp');
  await callee.send('call:sdp', { callId, description: { type: 'answer', sdp: SDP } });
  await answer;
  const toCallee = callee.wait('call:ice-candidate', CANDIDATES);
  const toCaller = caller.wait('call:ice-candidate', CANDIDATES);
  const sends = [];
  for (let i = 0; i < CANDIDATES; i++) {
    sends.push(caller.send('call:ice-candidate', { callId, candidate: candidate(i) }));
    sends.push(callee.send('call:ice-candidate', { callId, candidate: candidate(i) }));
  }
  await Promise.all([...sends, toCallee, toCaller]);
  const ended = Promise.all([caller.wait('call:ended'), callee.wait('call:ended')]);
  await caller.send('call:hangup', { callId });
  await ended;
  sample.callMs = performance.now() - t0;
}

let pairs = [];

async function connect({ pairs: wanted, secret, namespace }) {
  // A few at a time: a burst of hundreds of handshakes is not what this bench measures.
  for (let i = 0; i < wanted.length; i += 20)
    pairs.push(
      ...(await Promise.all(
        wanted.slice(i, i + 20).map(async (p) => {
          const [caller, callee] = await Promise.all([
            Party.connect(
              p.callerUrl,
              namespace,
              {
                token: await token(secret, p.caller),
                deviceId: `bench-${p.caller}`,
                appState: 'foreground',
                userId: p.caller,
                peerUserId: p.callee,
              },
              p.caller,
            ),
            Party.connect(
              p.calleeUrl,
              namespace,
              {
                token: await token(secret, p.callee),
                deviceId: `bench-${p.callee}`,
                appState: 'foreground',
                userId: p.callee,
                peerUserId: p.caller,
              },
              p.callee,
            ),
          ]);
          return { caller, callee, busy: false };
        }),
      )),
    );
}

async function run({ rate, durationMs, drainMs }) {
  const result = { started: 0, completed: 0, errors: {}, incomingMs: [], acceptedMs: [], callMs: [] };
  const fail = (reason) => (result.errors[reason] = (result.errors[reason] ?? 0) + 1);
  const inflight = new Set();
  const interval = 1000 / rate;
  const begin = performance.now();
  for (let n = 0; ; n++) {
    const due = begin + n * interval;
    if (due - begin >= durationMs) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const pair = pairs.find((p) => !p.busy);
    result.started += 1;
    if (!pair) {
      fail('no-idle-pair');
      continue;
    }
    pair.busy = true;
    const sample = {};
    const call = fullCall(pair, sample).then(
      () => {
        result.completed += 1;
        result.incomingMs.push(sample.incomingMs);
        result.acceptedMs.push(sample.acceptedMs);
        result.callMs.push(sample.callMs);
        pair.busy = false;
      },
      (error) => {
        fail(String(error.message).split(' ')[0]);
        if (sample.incomingMs !== undefined) result.incomingMs.push(sample.incomingMs);
        // The failed call may still be open on the server: the pair stays busy (retired), so later
        // calls are not refused as busy because of this one.
      },
    );
    inflight.add(call);
    void call.finally(() => inflight.delete(call));
  }
  const drained = await Promise.race([Promise.all(inflight).then(() => true), new Promise((r) => setTimeout(() => r(false), drainMs))]);
  if (!drained) fail('not-drained');
  return result;
}

process.on('message', async (message) => {
  try {
    if (message.type === 'connect') {
      await connect(message);
      process.send({ type: 'connected' });
    } else if (message.type === 'run') {
      process.send({ type: 'result', ...(await run(message)) });
    } else if (message.type === 'close') {
      for (const p of pairs) (p.caller.socket.close(), p.callee.socket.close());
      process.exit(0);
    }
  } catch (error) {
    process.send({ type: 'error', message: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
