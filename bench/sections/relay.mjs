// Relay fast path: the platform's `call:ice-candidate` relay against a bare Socket.IO relay on the
// same Redis adapter, same node and cross node, lockstep and at fixed rates, in ABBA blocks.
// Figures: relay.sameNode.ratioP50, relay.crossNode.ratioP50. See bench/README.md.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import { Platform, TEST_REDIS_URL, deleteRedisKeys, testRedisPrefix } from '#testing';
import { activeCall } from '../lib/active-call.mjs';
import { startBaselineNode } from '../lib/baseline-node.mjs';
import { cpuMs, gatewayPids, rssKiB, sumOver } from '../lib/proc.mjs';
import { runSection } from '../lib/section.mjs';
import { comparisonTable, pct, ratio } from '../lib/stats.mjs';

const EVENT = 'call:ice-candidate';
const TIMEOUT_MS = 10_000;
const RATES = [200, 500];
/** ABBA: platform and baseline take turns (P B B P P B B P), so drift and warm-up favour neither. */
const BLOCKS = 4;
const turns = Array.from({ length: BLOCKS * 2 }, (_, k) => (k % 4 === 0 || k % 4 === 3 ? 0 : 1));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const connect = (url, auth) => {
  const socket = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
};

/** A realistic host candidate (~110 bytes) carrying the run, the message's index and its send time. */
const candidate = (run, i, sentAt) => ({
  candidate: `candidate:${i} 1 udp 2122260223 127.0.0.1 ${50000 + (i % 10000)} typ host generation 0 ufrag bnch ts ${run}:${i}:${sentAt.toFixed(4)}`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});
const STAMP = / ts (\w+):(\d+):([\d.]+)$/;

/**
 * Sends `count` candidates and records per message the ack latency (send → ack at the sender) and
 * the one-way delivery latency (send → event at the receiver; both sockets are in this process, so
 * one clock).
 * - `rate` null (lockstep): the next message goes once the previous one is acked *and* delivered,
 *   so every latency is measured with no queue behind it.
 * - `rate` n (open loop): message i goes at start + i/n s whatever happened to the earlier ones, as
 *   load does; a slower relay shows as queueing, not as fewer messages.
 */
async function run(label, { sender, receiver, callId }, count, rate, strict = true) {
  const runId = `${label}${randomUUID().slice(0, 6)}`;
  const ack = new Float64Array(count).fill(NaN);
  const delivery = new Float64Array(count).fill(NaN);
  let acked = 0;
  let delivered = 0;
  let refused = null;
  let wake = null;
  const poke = () => wake?.();
  const onEvent = (payload) => {
    const now = performance.now();
    const match = STAMP.exec(payload?.candidate?.candidate ?? '');
    if (!match || match[1] !== runId) return;
    const i = Number(match[2]);
    if (!Number.isNaN(delivery[i])) return;
    delivery[i] = now - Number(match[3]);
    delivered += 1;
    poke();
  };
  const send = (i) => {
    const sentAt = performance.now();
    sender.timeout(TIMEOUT_MS).emit(EVENT, { callId, candidate: candidate(runId, i, sentAt) }, (err, reply) => {
      if (err || !reply?.ok) refused ??= `message ${i}: ${err?.message ?? JSON.stringify(reply)}`;
      else ack[i] = performance.now() - sentAt;
      acked += 1;
      poke();
    });
  };
  /** Resolves once `done()` holds, or false after the timeout. */
  const until = (done) =>
    done()
      ? Promise.resolve(true)
      : new Promise((resolve) => {
          const timer = setTimeout(() => ((wake = null), resolve(false)), TIMEOUT_MS);
          wake = () => done() && (clearTimeout(timer), (wake = null), resolve(true));
        });

  receiver.on(EVENT, onEvent);
  const started = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      if (rate === null) {
        send(i);
        if (!(await until(() => acked > i && !Number.isNaN(delivery[i]))) && strict)
          throw new Error(`${label}: message ${i} not acked and delivered in ${TIMEOUT_MS} ms`);
      } else {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        send(i);
      }
      if (refused) throw new Error(`${label}: ${refused}`);
    }
    if (!(await until(() => acked === count && delivered === count)) && strict)
      throw new Error(`${label}: ${acked}/${count} acked, ${delivered}/${count} delivered after ${TIMEOUT_MS} ms`);
    if (refused) throw new Error(`${label}: ${refused}`);
  } finally {
    receiver.off(EVENT, onEvent);
  }
  const elapsedMs = performance.now() - started;
  const measured = (a) => Array.from(a).filter((v) => !Number.isNaN(v));
  return { ack: measured(ack), delivery: measured(delivery), elapsedMs };
}

async function redisCounters(redis) {
  const info = await redis.info();
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return { cpuMs: (field('used_cpu_user') + field('used_cpu_sys')) * 1000, commands: field('total_commands_processed') };
}

const emptyResult = () => ({ ack: [], delivery: [], elapsedMs: 0, sent: 0, cpuMs: 0, redisCpuMs: 0, redisCommands: 0 });

/**
 * One topology: warm-up of both systems, then each mode (lockstep, then each fixed rate) in ABBA
 * blocks, with relay CPU and Redis counters around each block.
 */
async function measureTopology(systems, redis, { warmup, lockstepN, rateN }) {
  for (const s of systems) await run(s.label, s.pair, warmup, null, false);
  const modes = [{ key: 'lockstep', rate: null, n: lockstepN }, ...RATES.map((rate) => ({ key: `rate${rate}`, rate, n: rateN }))];
  const results = systems.map(() => Object.fromEntries(modes.map((m) => [m.key, emptyResult()])));
  for (const mode of modes) {
    const perBlock = Math.ceil(mode.n / BLOCKS);
    for (const t of turns) {
      const s = systems[t];
      const into = results[t][mode.key];
      await sleep(50); // let the other system's tail settle
      const cpu0 = sumOver(s.pids, cpuMs);
      const redis0 = await redisCounters(redis);
      const block = await run(s.label, s.pair, perBlock, mode.rate);
      const cpu1 = sumOver(s.pids, cpuMs);
      const redis1 = await redisCounters(redis);
      into.ack.push(...block.ack);
      into.delivery.push(...block.delivery);
      into.elapsedMs += block.elapsedMs;
      into.sent += perBlock;
      into.cpuMs = into.cpuMs === null || cpu0 === null || cpu1 === null ? null : into.cpuMs + cpu1 - cpu0;
      into.redisCpuMs += redis1.cpuMs - redis0.cpuMs;
      into.redisCommands += redis1.commands - redis0.commands;
    }
  }
  return results;
}

/** A platform call with its parties on the given nodes, then raw sockets only. */
async function platformPair(platform, callerNode, calleeNode) {
  const { caller, callee, callId } = await activeCall(platform, callerNode, calleeNode);
  // As for the baseline: no TestDevice bookkeeping on the client side from here on.
  caller.socket.offAny();
  callee.socket.offAny();
  return { sender: caller.socket, receiver: callee.socket, callId };
}

async function baselinePair(node1, node2) {
  const tag = randomUUID().slice(0, 8);
  const room = (user) => `device:${user}:phone`;
  const receiver = await connect(node2.url, { userId: `bob-${tag}`, deviceId: 'phone', peerRoom: room(`alice-${tag}`) });
  const sender = await connect(node1.url, { userId: `alice-${tag}`, deviceId: 'phone', peerRoom: room(`bob-${tag}`) });
  return { sender, receiver, callId: randomUUID() };
}

function summarize(r) {
  const perMsg = (total, scale) => (total === null || !r.lockstep.sent ? null : (total * scale) / r.lockstep.sent);
  const rows = {
    lockstepAckP50: pct(r.lockstep.ack, 50),
    lockstepAckP99: pct(r.lockstep.ack, 99),
    lockstepDeliveryP50: pct(r.lockstep.delivery, 50),
    lockstepDeliveryP95: pct(r.lockstep.delivery, 95),
    lockstepDeliveryP99: pct(r.lockstep.delivery, 99),
    lockstepMsgPerSecond: (r.lockstep.sent * 1000) / r.lockstep.elapsedMs,
    relayCpuUsPerMsg: perMsg(r.lockstep.cpuMs, 1000),
    redisCpuUsPerMsg: perMsg(r.lockstep.redisCpuMs, 1000),
    redisCommandsPerMsg: perMsg(r.lockstep.redisCommands, 1),
  };
  for (const rate of RATES) {
    const m = r[`rate${rate}`];
    Object.assign(rows, {
      [`rate${rate}AckP50`]: pct(m.ack, 50),
      [`rate${rate}DeliveryP50`]: pct(m.delivery, 50),
      [`rate${rate}DeliveryP99`]: pct(m.delivery, 99),
      [`rate${rate}AchievedMsgPerSecond`]: (m.sent * 1000) / m.elapsedMs,
    });
  }
  return rows;
}

const LABELS = {
  lockstepAckP50: 'lockstep ack p50 (ms)',
  lockstepAckP99: 'lockstep ack p99 (ms)',
  lockstepDeliveryP50: 'lockstep delivery p50 (ms)',
  lockstepDeliveryP95: 'lockstep delivery p95 (ms)',
  lockstepDeliveryP99: 'lockstep delivery p99 (ms)',
  lockstepMsgPerSecond: 'lockstep throughput (msg/s)',
  relayCpuUsPerMsg: 'relay processes CPU per msg (µs)',
  redisCpuUsPerMsg: 'Redis CPU per msg (µs)*',
  redisCommandsPerMsg: 'Redis commands per msg*',
  ...Object.fromEntries(
    RATES.flatMap((rate) => [
      [`rate${rate}AckP50`, `${rate} msg/s ack p50 (ms)`],
      [`rate${rate}DeliveryP50`, `${rate} msg/s delivery p50 (ms)`],
      [`rate${rate}DeliveryP99`, `${rate} msg/s delivery p99 (ms)`],
      [`rate${rate}AchievedMsgPerSecond`, `${rate} msg/s achieved (msg/s)`],
    ]),
  ),
};

await runSection('relay', async ({ quick, defer, started }) => {
  const sizes = quick ? { warmup: 20, lockstepN: 40, rateN: 40 } : { warmup: 200, lockstepN: 2000, rateN: 1000 };
  const t0 = performance.now();
  const redis = new Redis(TEST_REDIS_URL, { connectionName: 'bench-relay-stats' });
  defer(() => redis.quit());
  const baselinePrefix = `${testRedisPrefix()}bench:`;
  defer(() => deleteRedisKeys(baselinePrefix));
  // One socket relays up to 500/s and faster in lockstep: far above a real call, which the default
  // relay limit (docs/security.md) is set for. The bench measures the relay path, not the limit.
  const env = { RATE_LIMIT_RELAY: '1000000/1' };
  const platform = await started(Platform.start({ gateways: 2, notifier: false, env }), (p) => p.stop());
  const baselineNodes = await Promise.all([1, 2].map(() => started(startBaselineNode(baselinePrefix), (n) => n.stop())));
  console.log(
    `relay: platform (2 gateway nodes) and baseline (2 bare Socket.IO nodes) up in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const [g1, g2] = platform.gateways;
  const [b1, b2] = baselineNodes;
  const [g1Pid, g2Pid] = gatewayPids(platform.gateways);
  if (!g1Pid || !g2Pid) console.log('relay: gateway pids not found in /proc: CPU rows are n/a');
  const topologies = {
    sameNode: {
      platform: { pair: await platformPair(platform, g1, g1), pids: [g1Pid] },
      baseline: { pair: await baselinePair(b1, b1), pids: [b1.pid] },
    },
    crossNode: {
      platform: { pair: await platformPair(platform, g1, g2), pids: [g1Pid, g2Pid] },
      baseline: { pair: await baselinePair(b1, b2), pids: [b1.pid, b2.pid] },
    },
  };
  defer(async () => {
    for (const t of Object.values(topologies)) for (const s of [t.baseline.pair.sender, t.baseline.pair.receiver]) s.close();
  });

  const figures = {};
  const detail = { sizes, rates: RATES, blocks: BLOCKS };
  const tables = [];
  for (const [name, t] of Object.entries(topologies)) {
    const rssBefore = [t.platform.pids, t.baseline.pids].map((pids) => sumOver(pids, rssKiB));
    const [p, b] = await measureTopology(
      [
        { label: 'p', ...t.platform },
        { label: 'b', ...t.baseline },
      ],
      redis,
      sizes,
    );
    const rssAfter = [t.platform.pids, t.baseline.pids].map((pids) => sumOver(pids, rssKiB));
    const ps = summarize(p);
    const bs = summarize(b);
    const ratios = Object.fromEntries(Object.keys(ps).map((k) => [k, ratio(ps[k], bs[k])]));
    figures[`relay.${name}.ratioP50`] = ratios.lockstepDeliveryP50;
    detail[name] = {
      platform: ps,
      baseline: bs,
      ratios,
      rssKiB: { platform: [rssBefore[0], rssAfter[0]], baseline: [rssBefore[1], rssAfter[1]] },
    };
    const where = name === 'sameNode' ? 'caller and callee on one node' : 'caller on node 1, callee on node 2';
    tables.push(`**${name}** (${where}):\n\n${comparisonTable(Object.keys(ps).map((k) => [LABELS[k], ps[k], bs[k]]))}`);
    console.log(`relay: ${name} done, delivery p50 ratio ${ratios.lockstepDeliveryP50?.toFixed(2)}x`);
  }
  const table =
    `${tables.join('\n\n')}\n\n${sizes.lockstepN} lockstep and ${sizes.rateN} messages per fixed rate per system and topology, ` +
    `after ${sizes.warmup} warm-up, in ABBA blocks of ${BLOCKS}. ratioP50 = lockstep delivery p50 ratio.\n` +
    '* Redis figures are server-wide deltas (INFO): they include any other client of that Redis during the run.';
  return { figures, detail, table };
});
