// Relay fast-path benchmark: the platform's `call:ice-candidate` relay (Nest gateway, auth'd socket,
// zod validation, CallOutbox Lua INCR+XADD, Redis-adapter emit to the peer's node) against a bare
// Socket.IO pair on the same Redis, in one run, reported as ratios. See bench/README.md.
//
// Run: npm run build && node bench/relay.bench.mjs   (Postgres and Redis as for the e2e tests)
// env: BENCH_N (default 2000), BENCH_WARMUP (default 200).
import { spawn, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import { SIGNALING_NAMESPACE } from '#contracts';
import { Platform, TEST_REDIS_URL, deleteRedisKeys, freePort, testRedisPrefix } from '#testing';

const N = Number(process.env.BENCH_N ?? 2000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
const ACK_TIMEOUT_MS = 10_000;
const DELIVERY_TIMEOUT_MS = 10_000;
const WATCHDOG_MS = 120_000;
const EVENT = 'call:ice-candidate';
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- process stats (/proc, Linux only)

const readProc = (pid, file) => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
};

/** Resident set size in KiB, or null. */
const rssKiB = (pid) => {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readProc(pid, 'status') ?? '');
  return match ? Number(match[1]) : null;
};

/** User+system CPU time in ms, or null. */
const cpuMs = (pid) => {
  const stat = readProc(pid, 'stat');
  if (!stat) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime, stime
};

/**
 * AppProcess keeps its child private, so find the gateway processes this run started: children of
 * this process running dist/apps/gateway/src/main.js, matched to a node by the PORT in their env.
 */
function gatewayPids(ports) {
  const byPort = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(entry, 'stat');
    if (!stat || Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
    if (!(readProc(entry, 'cmdline') ?? '').includes('dist/apps/gateway/src/main.js')) continue;
    const port = /(?:^|\0)PORT=(\d+)(?:\0|$)/.exec(readProc(entry, 'environ') ?? '')?.[1];
    if (port) byPort.set(Number(port), Number(entry));
  }
  return ports.map((p) => byPort.get(p) ?? null);
}

const sum = (pids, read) => {
  const values = pids.map((pid) => (pid ? read(pid) : null));
  return values.some((v) => v === null) ? null : values.reduce((a, b) => a + b, 0);
};

async function redisStats(redis) {
  const info = await redis.info();
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return { cpuMs: (field('used_cpu_user') + field('used_cpu_sys')) * 1000, commands: field('total_commands_processed') };
}

// ---------------------------------------------------------------- the measured loop (same for both)

const connect = (url, auth) => {
  const socket = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
};

/** A realistic host candidate (~110 bytes) carrying the message's index and send time. */
const candidate = (run, i, sentAt) => ({
  candidate: `candidate:${i} 1 udp 2122260223 127.0.0.1 ${50000 + (i % 10000)} typ host generation 0 ufrag bnch ts ${run}:${i}:${sentAt.toFixed(4)}`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});
const STAMP = / ts (\w+):(\d+):([\d.]+)$/;

/**
 * Sends `count` candidates one after another and records, per message, ack latency (send → ack at the
 * sender) and one-way delivery latency (send → event at the receiver; both sockets live in this
 * process, so one clock).
 * - lockstep: the next message goes once the previous one is acked *and* delivered, so every
 *   latency is an unloaded one (no queue behind it). This is the mode the latency rows come from.
 * - ack-paced: the next message goes as soon as the previous one is acked, as a client trickling
 *   candidates does; deliveries may queue up behind the acks. Used for throughput.
 * elapsedMs runs from the first send to the later of the last ack and the last delivery.
 */
async function run(label, { sender, receiver, callId }, count, { mode, strict }) {
  const runId = `${label}${randomUUID().slice(0, 6)}`;
  const ack = new Float64Array(count);
  const delivery = new Float64Array(count).fill(NaN);
  let delivered = 0;
  let waiter = null; // lockstep: waits for message i; ack-paced: waits for the last of all `count`
  const onEvent = (payload) => {
    const now = performance.now();
    const match = STAMP.exec(payload?.candidate?.candidate ?? '');
    if (!match || match[1] !== runId) return;
    const i = Number(match[2]);
    if (!Number.isNaN(delivery[i])) return;
    delivery[i] = now - Number(match[3]);
    delivered += 1;
    if (waiter && (mode === 'lockstep' ? i === waiter.i : delivered === count)) waiter.resolve(true);
  };
  const deliveredBy = (i, timeoutMs) => {
    if (mode === 'lockstep' ? !Number.isNaN(delivery[i]) : delivered === count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      waiter = { i, resolve: (v) => (clearTimeout(timer), (waiter = null), resolve(v)) };
    });
  };
  receiver.on(EVENT, onEvent);
  const started = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      const sentAt = performance.now();
      const reply = await sender.timeout(ACK_TIMEOUT_MS).emitWithAck(EVENT, { callId, candidate: candidate(runId, i, sentAt) });
      ack[i] = performance.now() - sentAt;
      if (!reply?.ok) throw new Error(`${label}: message ${i} refused: ${JSON.stringify(reply)}`);
      if (mode === 'lockstep' && !(await deliveredBy(i, DELIVERY_TIMEOUT_MS)) && strict) throw new Error(`${label}: message ${i} not delivered within ${DELIVERY_TIMEOUT_MS} ms`);
    }
    if (!(await deliveredBy(count - 1, DELIVERY_TIMEOUT_MS)) && strict) throw new Error(`${label}: only ${delivered}/${count} delivered within ${DELIVERY_TIMEOUT_MS} ms`);
  } finally {
    receiver.off(EVENT, onEvent);
  }
  const elapsedMs = performance.now() - started;
  return { ack: Array.from(ack), delivery: Array.from(delivery).filter((d) => !Number.isNaN(d)), delivered, elapsedMs };
}

/** Platform and baseline take turns in blocks, ABBA (P B B P P B B P …), so drift and warm-up favour neither. */
const BLOCKS = 4;
const turns = () => Array.from({ length: BLOCKS * 2 }, (_, k) => ((k % 4 === 0 || k % 4 === 3) ? 0 : 1));

/**
 * Warm-up of both, then N lockstep messages per system in ABBA blocks with CPU and Redis counters
 * around each block and RSS around the whole, then N ack-paced messages per system the same way.
 */
async function measureBoth(systems, redis) {
  for (const s of systems) await run(s.label, s.pair, WARMUP, { mode: 'lockstep', strict: false });
  const results = systems.map((s) => ({
    ack: [], delivery: [], elapsedMs: 0, cpuMs: 0, redisCpuMs: 0, redisCommands: 0,
    rssBefore: sum(s.pids, rssKiB), rssAfter: null, paced: { ack: [], elapsedMs: 0 },
  }));
  const perBlock = Math.ceil(N / BLOCKS);
  for (const mode of ['lockstep', 'ack-paced']) {
    for (const t of turns()) {
      const s = systems[t];
      const r = results[t];
      await sleep(100); // let the other system's tail settle
      const cpu0 = sum(s.pids, cpuMs);
      const redis0 = await redisStats(redis);
      const block = await run(s.label, s.pair, perBlock, { mode, strict: true });
      const cpu1 = sum(s.pids, cpuMs);
      const redis1 = await redisStats(redis);
      const into = mode === 'lockstep' ? r : r.paced;
      into.ack.push(...block.ack);
      into.elapsedMs += block.elapsedMs;
      if (mode !== 'lockstep') continue;
      r.delivery.push(...block.delivery);
      r.cpuMs = r.cpuMs === null || cpu0 === null || cpu1 === null ? null : r.cpuMs + cpu1 - cpu0;
      r.redisCpuMs += redis1.cpuMs - redis0.cpuMs;
      r.redisCommands += redis1.commands - redis0.commands;
    }
    if (mode === 'lockstep') results.forEach((r, i) => (r.rssAfter = sum(systems[i].pids, rssKiB)));
  }
  return results.map((r) => ({ ...r, sent: perBlock * BLOCKS }));
}

// ---------------------------------------------------------------- the two systems under test

/** The platform: two gateway nodes, an accepted call, caller on node 1 and callee on node 2. */
async function platformPair(platform) {
  const tag = randomUUID().slice(0, 8);
  const [node1, node2] = platform.gateways;
  const caller = await platform.device(`bench-alice-${tag}`, { deviceId: 'alice-phone', gateway: node1 });
  const callee = await platform.device(`bench-bob-${tag}`, { deviceId: 'bob-phone', gateway: node2 });
  const { callId } = await caller.must('call:invite', { calleeId: callee.userId, media: 'video', idempotencyKey: `bench-${tag}` });
  await callee.must('call:accept', { callId });
  await caller.next('call:accepted', (p) => p.callId === callId);
  await callee.next('call:accepted', (p) => p.callId === callId);
  await caller.must('call:sdp', { callId, description: { type: 'offer', sdp: 'v=0\r\n' } });
  await callee.next('call:sdp', (p) => p.callId === callId);
  // From here on the raw sockets, as for the baseline: no TestDevice bookkeeping on the client side.
  caller.socket.offAny();
  callee.socket.offAny();
  return { sender: caller.socket, receiver: callee.socket, callId, hangup: () => caller.send('call:hangup', { callId }, 2000).catch(() => undefined) };
}

/** One bare Socket.IO node as a child process (bench/baseline-relay-server.mjs); resolves once listening. */
async function startBaselineNode(prefix) {
  const port = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL('./baseline-relay-server.mjs', import.meta.url))], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, NAMESPACE: SIGNALING_NAMESPACE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baseline node not ready in 10 s:\n${output}`)), 10_000);
    child.stderr.on('data', (c) => (output += c));
    child.stdout.on('data', (c) => {
      output += c;
      if (output.includes('ready')) clearTimeout(timer), resolve();
    });
    exited.then((code) => (clearTimeout(timer), reject(new Error(`baseline node exited with ${code}:\n${output}`))));
  });
  return {
    port,
    pid: child.pid,
    url: `http://127.0.0.1:${port}${SIGNALING_NAMESPACE}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function baselinePair(node1, node2) {
  const callId = randomUUID();
  const caller = { userId: 'alice', deviceId: 'alice-phone' };
  const callee = { userId: 'bob', deviceId: 'bob-phone' };
  const room = (d) => `device:${d.userId}:${d.deviceId}`;
  const receiver = await connect(node2.url, { ...callee, peerRoom: room(caller) });
  const sender = await connect(node1.url, { ...caller, peerRoom: room(callee) });
  return { sender, receiver, callId };
}

// ---------------------------------------------------------------- report

const pct = (values, p) => {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};

function rows(r) {
  const mib = (kib) => (kib === null ? null : kib / 1024);
  const perMsg = (total, scale) => (total === null ? null : (total * scale) / r.sent);
  return [
    ['ack latency p50 (ms)', pct(r.ack, 50)],
    ['ack latency p95 (ms)', pct(r.ack, 95)],
    ['ack latency p99 (ms)', pct(r.ack, 99)],
    ['delivery latency p50 (ms)', pct(r.delivery, 50)],
    ['delivery latency p95 (ms)', pct(r.delivery, 95)],
    ['delivery latency p99 (ms)', pct(r.delivery, 99)],
    ['lockstep throughput (msg/s)', (r.sent * 1000) / r.elapsedMs],
    ['ack-paced throughput (msg/s)', (r.sent * 1000) / r.paced.elapsedMs],
    ['ack-paced ack latency p50 (ms)', pct(r.paced.ack, 50)],
    ['ack-paced ack latency p99 (ms)', pct(r.paced.ack, 99)],
    ['relay nodes CPU per msg (µs, 2 nodes)', perMsg(r.cpuMs, 1000)],
    ['Redis CPU per msg (µs)*', perMsg(r.redisCpuMs, 1000)],
    ['Redis commands per msg*', perMsg(r.redisCommands, 1)],
    ['relay nodes RSS before (MiB, 2 nodes)', mib(r.rssBefore)],
    ['relay nodes RSS after (MiB, 2 nodes)', mib(r.rssAfter)],
    ['relay nodes RSS growth (MiB)', r.rssBefore === null || r.rssAfter === null ? null : mib(r.rssAfter - r.rssBefore)],
  ];
}

function printTable(platform, baseline) {
  const fmt = (v) => (v === null || Number.isNaN(v) ? 'n/a' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));
  const p = rows(platform);
  const b = rows(baseline);
  const lines = p.map(([metric, pv], i) => {
    const bv = b[i][1];
    const ratio = pv === null || bv === null || !bv ? 'n/a' : `${(pv / bv).toFixed(2)}x`;
    return [metric, fmt(pv), fmt(bv), ratio];
  });
  const header = ['metric', 'platform', 'baseline', 'ratio (platform/baseline)'];
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const line = (cells) => `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, c) => (c === 0 ? ':' : '-') + '-'.repeat(w) + (c === 0 ? '-' : ':')).join('|')}|`);
  for (const l of lines) console.log(line(l));
  console.log(`\n${platform.sent} sequential ${EVENT} per system and mode, caller on node 1 → callee on node 2, after ${WARMUP} warm-up; ` +
    `all delivered. Systems take turns in ABBA blocks of ${platform.sent / BLOCKS}. Rows without "ack-paced": lockstep. ${cpus().length} CPUs, Node ${process.version}.`);
  console.log('* Redis figures are server-wide deltas (INFO), so they include any other client of that Redis during the run.');
}

// ---------------------------------------------------------------- main

const cleanups = [];
const cleanup = async () => {
  while (cleanups.length) await cleanups.pop()().catch((e) => console.error('cleanup:', e.message));
};
const watchdog = setTimeout(() => {
  console.error(`relay bench: still running after ${WATCHDOG_MS / 1000} s, giving up`);
  void cleanup().finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();

let exitCode = 0;
let platform = null;
try {
  const t0 = performance.now();
  const redis = new Redis(TEST_REDIS_URL, { connectionName: 'bench-relay-stats' });
  cleanups.push(() => redis.quit());

  platform = await Platform.start({ gateways: 2, notifier: false });
  cleanups.push(() => platform.stop());
  const baselinePrefix = `${testRedisPrefix()}bench:`;
  cleanups.push(() => deleteRedisKeys(baselinePrefix));
  const baselineNodes = await Promise.all([startBaselineNode(baselinePrefix), startBaselineNode(baselinePrefix)]);
  for (const node of baselineNodes) cleanups.push(() => node.stop());
  console.log(`started platform (2 gateway nodes) and baseline (2 bare Socket.IO nodes) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const gatewayPidList = gatewayPids(platform.gateways.map((g) => g.port));
  if (gatewayPidList.some((pid) => pid === null)) console.log('gateway pids not found in /proc: RSS and CPU rows are n/a');

  const pPair = await platformPair(platform);
  const bPair = await baselinePair(...baselineNodes);
  cleanups.push(async () => {
    for (const s of [bPair.sender, bPair.receiver]) s.close();
  });

  const [platformResult, baselineResult] = await measureBoth([
    { label: 'p', pair: pPair, pids: gatewayPidList },
    { label: 'b', pair: bPair, pids: baselineNodes.map((n) => n.pid) },
  ], redis);
  await pPair.hangup();

  console.log('');
  printTable(platformResult, baselineResult);
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(error);
  for (const [i, g] of (platform?.gateways ?? []).entries()) console.error(`--- gateway ${i + 1} log (tail)\n${g.logs.join('').slice(-2000)}`);
  exitCode = 1;
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
process.exit(exitCode);
