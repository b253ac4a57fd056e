// Bench section "setup": what a full call costs the platform, and how many of them two cores carry.
// A full call: invite, ringing, accept, offer/answer, 4 candidates each way, hangup (setup-worker.mjs).
//
// - setup.p99Ms: invite → callee `call:incoming`, p99, at 50 calls/s.
// - setup.callsPerSecond: the highest stepped rate carried with 0 errors and p99 setup ≤ 100 ms.
// - setup.cpuMsPerCall: server CPU per full call at 50 calls/s, summed over the gateways, the calls
//   app, the notifier, the suite database's Postgres backends and the bench's own Redis.
// Baseline in the same run: the same client code against two bare Socket.IO nodes on the same Redis
// (setup-baseline-server.mjs), for the transport's own cost and latency.
//
// Run: npm run build && node bench/sections/setup.mjs [--quick] --out <file.json>
// env: BENCH_SETUP_PROFILE=<dir> writes --cpu-prof profiles of every app into <dir>;
//      BENCH_SETUP_STEPS=50,100 and BENCH_SETUP_STEP_MS=8000 override the rate steps.
import { fork, spawn, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { SIGNALING_NAMESPACE } from '#contracts';
import { Platform, PrivateRedis, freePort, testRedisPrefix } from '#testing';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const OUT = args[args.indexOf('--out') + 1];
if (!args.includes('--out') || !OUT) throw new Error('usage: setup.mjs [--quick] --out <file.json>');

const SETUP_LIMIT_MS = 100;
const WORKERS = 2;
const MEASURE_RATE = 50;
const STEPS = process.env.BENCH_SETUP_STEPS?.split(',').map(Number) ?? (QUICK ? [4] : [10, 20, 30, 40, 50, 100, 150, 200, 250, 300, 400]);
const STEP_MS = Number(process.env.BENCH_SETUP_STEP_MS ?? (QUICK ? 1000 : 8000));
const WARMUP_MS = 3000;
/** Timers (deadline checks, outbox retries, Bull polling) cost CPU with no calls at all; measured first. */
const IDLE_MS = QUICK ? 1000 : 5000;
const DRAIN_MS = 60_000;
const WATCHDOG_MS = QUICK ? 240_000 : 900_000;
const WORKER = fileURLToPath(new URL('./setup-worker.mjs', import.meta.url));
const PRELOAD = new URL('./cpu-profile.preload.mjs', import.meta.url).href;
const BASELINE = fileURLToPath(new URL('./setup-baseline-server.mjs', import.meta.url));
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

// ---------------------------------------------------------------- cleanup first

const cleanups = [];
let cleaning = null;
const cleanup = () =>
  (cleaning ??= (async () => {
    for (const step of cleanups.reverse())
      await Promise.resolve()
        .then(step)
        .catch((e) => console.error('setup: cleanup step failed', e));
  })());
const watchdog = setTimeout(() => {
  console.error(`setup: watchdog after ${WATCHDOG_MS} ms`);
  void cleanup().finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void cleanup().finally(() => process.exit(1)));

// ---------------------------------------------------------------- CPU accounting (/proc, Linux)

const procStat = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
};
const cpuMs = (pid) => {
  const f = procStat(pid);
  return f ? ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK : null;
};

/** This run's app processes, named by app and port: children of this process running dist/apps/<app>. */
function appPids() {
  const found = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(procStat(entry)?.[1]) !== process.pid) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const app =
      /dist\/apps\/(\w[\w-]*)\/src\/main\.js/.exec(cmdline)?.[1] ?? (cmdline.includes('setup-baseline-server.mjs') ? 'baseline' : null);
    if (!app) continue;
    const port = /(?:^|\0)PORT=(\d+)(?:\0|$)/.exec(readFileSync(`/proc/${entry}/environ`, 'utf8'))?.[1];
    found[`${app}:${port}`] = Number(entry);
  }
  return found;
}

/** CPU ms of every process that serves the run, by name; Postgres backends of the suite's database and Redis included. */
async function cpuSnapshot({ pids, db, redis }) {
  const snapshot = {};
  for (const [name, pid] of Object.entries(pids)) snapshot[name] = cpuMs(pid) ?? 0;
  if (db) {
    const { rows } = await db.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    for (const { pid } of rows) snapshot[`postgres:${pid}`] = cpuMs(pid) ?? 0;
  }
  const info = await redis.info('cpu');
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  snapshot.redis = (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
  return snapshot;
}

const scale = (perMs) => Object.fromEntries(Object.entries(byKind(perMs)).map(([k, v]) => [k, round(v * 1000)]));

function cpuDelta(before, after) {
  const delta = {};
  for (const [name, ms] of Object.entries(after)) delta[name] = ms - (before[name] ?? 0); // a backend born mid-step counts from 0
  return delta;
}

/** Per process kind: the gateways together, the Postgres backends together. */
function byKind(delta) {
  const kinds = {};
  for (const [name, ms] of Object.entries(delta)) {
    const kind = name.split(':')[0];
    kinds[kind] = (kinds[kind] ?? 0) + ms;
  }
  return kinds;
}

// ---------------------------------------------------------------- workers

const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const round = (n, d = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : null);

class Workers {
  constructor(count) {
    this.children = Array.from({ length: count }, () => fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  ask(child, message, answer) {
    return new Promise((resolve, reject) => {
      const onMessage = (reply) => {
        if (reply.type !== answer && reply.type !== 'error') return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (reply.type === 'error') reject(new Error(`setup worker: ${reply.message}`));
        else resolve(reply);
      };
      const onExit = (code) => reject(new Error(`setup worker exited with ${code}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(message);
    });
  }

  async connect(pairs, secret) {
    await Promise.all(
      this.children.map((child, w) =>
        this.ask(
          child,
          { type: 'connect', pairs: pairs.filter((_, i) => i % this.children.length === w), secret, namespace: SIGNALING_NAMESPACE },
          'connected',
        ),
      ),
    );
  }

  /** Every worker offers rate/N calls/s for `durationMs`; results merged. */
  async run(rate, durationMs) {
    const results = await Promise.all(
      this.children.map((child) =>
        this.ask(child, { type: 'run', rate: rate / this.children.length, durationMs, drainMs: DRAIN_MS }, 'result'),
      ),
    );
    const merged = { started: 0, completed: 0, errors: {}, incomingMs: [], acceptedMs: [], callMs: [] };
    for (const r of results) {
      merged.started += r.started;
      merged.completed += r.completed;
      for (const [k, v] of Object.entries(r.errors)) merged.errors[k] = (merged.errors[k] ?? 0) + v;
      merged.incomingMs.push(...r.incomingMs);
      merged.acceptedMs.push(...r.acceptedMs);
      merged.callMs.push(...r.callMs);
    }
    return merged;
  }

  async close() {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', resolve);
            child.send({ type: 'close' });
            setTimeout(() => child.kill('SIGKILL'), 3000).unref();
          }),
      ),
    );
  }
}

/** Pairs of users: callers on the first node, callees on the last, so every call crosses nodes. */
function makePairs(count, urls, tag) {
  return Array.from({ length: count }, (_, i) => ({
    caller: `${tag}-a${i}`,
    callee: `${tag}-b${i}`,
    callerUrl: urls[0],
    calleeUrl: urls[urls.length - 1],
  }));
}

/** CPU ms per ms of wall time, per process, with no calls. */
async function idleRate(target) {
  const before = await cpuSnapshot(target);
  const started = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const cpu = cpuDelta(before, await cpuSnapshot(target));
  const elapsed = performance.now() - started;
  return Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, v / elapsed]));
}

/**
 * Runs one rate against a target and accounts its CPU. `cpuMsPerCall` is net of what the processes
 * burn idle over the same time (`target.idle`), so a step that completes few calls is not charged
 * the timers; `grossCpuMsPerCall` is the plain quotient.
 */
async function step(target, rate, durationMs) {
  const before = await cpuSnapshot(target);
  const started = performance.now();
  const result = await target.workers.run(rate, durationMs);
  const elapsedMs = performance.now() - started;
  const gross = cpuDelta(before, await cpuSnapshot(target));
  const cpu = Object.fromEntries(Object.entries(gross).map(([k, v]) => [k, Math.max(0, v - (target.idle[k] ?? 0) * elapsedMs)]));
  const errors = Object.values(result.errors).reduce((a, b) => a + b, 0);
  const p99 = percentile(result.incomingMs, 99);
  const totalCpu = Object.values(cpu).reduce((a, b) => a + b, 0);
  return {
    rate,
    started: result.started,
    completed: result.completed,
    errors,
    errorKinds: result.errors,
    incomingP50Ms: round(percentile(result.incomingMs, 50)),
    incomingP99Ms: round(p99),
    acceptedP50Ms: round(percentile(result.acceptedMs, 50)),
    acceptedP99Ms: round(percentile(result.acceptedMs, 99)),
    callP50Ms: round(percentile(result.callMs, 50)),
    callP99Ms: round(percentile(result.callMs, 99)),
    achievedPerSecond: round((result.completed * 1000) / elapsedMs),
    cpuMsPerCall: round(totalCpu / Math.max(1, result.completed)),
    grossCpuMsPerCall: round(Object.values(gross).reduce((a, b) => a + b, 0) / Math.max(1, result.completed)),
    cpuMsPerCallByKind: Object.fromEntries(Object.entries(byKind(cpu)).map(([k, v]) => [k, round(v / Math.max(1, result.completed))])),
    passed: errors === 0 && result.completed === result.started && p99 <= SETUP_LIMIT_MS,
  };
}

// ---------------------------------------------------------------- baseline servers

async function startBaseline(redisUrl) {
  const prefix = testRedisPrefix();
  const nodes = [];
  cleanups.push(async () => {
    await Promise.all(
      nodes.map(
        (child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM')))),
      ),
    );
  });
  const urls = [];
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const child = spawn(process.execPath, [BASELINE], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), REDIS_URL: redisUrl, REDIS_PREFIX: prefix, NAMESPACE: SIGNALING_NAMESPACE },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    nodes.push(child);
    await new Promise((resolve, reject) => {
      child.stdout.on('data', (chunk) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`baseline server exited with ${code}`)));
    });
    urls.push(`http://127.0.0.1:${port}`);
  }
  return urls;
}

// ---------------------------------------------------------------- the run

async function main() {
  const redisServer = await PrivateRedis.start();
  cleanups.push(() => redisServer.stop());
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  cleanups.push(() => redis.quit());

  const profile = process.env.BENCH_SETUP_PROFILE;
  // Each pair calls about once a second for the whole run, far past the per-pair and per-caller invite
  // limits meant for people (docs/security.md): the bench measures setup, not the limits.
  const limits = { RATE_LIMIT_INVITE_PAIR: '1000000/60', RATE_LIMIT_INVITE_CALLER: '1000000/60', RATE_LIMIT_LIFECYCLE: '1000000/10' };
  const env = { ...limits, ...(profile ? { NODE_OPTIONS: `--import=${PRELOAD}`, BENCH_CPU_PROFILE_DIR: profile } : {}) };
  let platform = null;
  cleanups.push(() => platform?.stop());
  platform = await Platform.start({ gateways: 2, notifier: true, redisUrl: redisServer.url, env });
  // Pairs enough for calls lasting a second at the top rate: longer ones fail the p99 goal anyway.
  const pairCount = Math.ceil(Math.max(...STEPS)) + 20;

  const workers = new Workers(WORKERS);
  cleanups.push(() => workers.close());
  await workers.connect(
    makePairs(
      pairCount,
      platform.gateways.map((g) => g.url),
      'p',
    ),
    platform.jwtSecret,
  );
  const target = { workers, pids: appPids(), db: platform.db, redis, idle: {} };
  target.idle = await idleRate(target);

  // Gently: a warm-up call that fails retires its pair of users.
  if (!QUICK) await workers.run(Math.min(10, STEPS[0] / 2), WARMUP_MS);
  const measured = await step(target, STEPS.includes(MEASURE_RATE) ? MEASURE_RATE : STEPS[0], STEP_MS);
  const steps = [];
  for (const rate of STEPS) {
    const result = rate === measured.rate ? measured : await step(target, rate, STEP_MS);
    steps.push(result);
    console.error(`setup: ${rate}/s → ${JSON.stringify({ ...result, cpuMsPerCallByKind: undefined })}`);
    if (!result.passed) break;
  }
  const passing = steps.filter((s) => s.passed).map((s) => s.rate);
  await workers.close();

  // Baseline: same clients, same Redis, bare Socket.IO.
  const baselineUrls = await startBaseline(redisServer.url);
  const baseWorkers = new Workers(WORKERS);
  cleanups.push(() => baseWorkers.close());
  await baseWorkers.connect(makePairs(Math.min(pairCount, 60), baselineUrls, 'b'), 'unused');
  const baseTarget = {
    workers: baseWorkers,
    pids: Object.fromEntries(Object.entries(appPids()).filter(([k]) => k.startsWith('baseline'))),
    db: null,
    redis,
    idle: {},
  };
  baseTarget.idle = await idleRate(baseTarget);
  if (!QUICK) await baseWorkers.run(Math.min(10, STEPS[0] / 2), WARMUP_MS);
  const baseline = await step(baseTarget, measured.rate, STEP_MS);
  await baseWorkers.close();

  const figures = {
    'setup.p99Ms': measured.incomingP99Ms,
    'setup.callsPerSecond': passing.length ? Math.max(...passing) : 0,
    'setup.cpuMsPerCall': measured.cpuMsPerCall,
    'setup.baseline.p99Ms': baseline.incomingP99Ms,
    'setup.baseline.cpuMsPerCall': baseline.cpuMsPerCall,
    'setup.ratioP99': round(measured.incomingP99Ms / baseline.incomingP99Ms),
    'setup.ratioCpu': round(measured.cpuMsPerCall / baseline.cpuMsPerCall),
  };
  const row = (name, s) =>
    `| ${name} | ${s.rate} | ${s.completed}/${s.started} | ${s.errors} | ${s.incomingP50Ms} | ${s.incomingP99Ms} | ${s.acceptedP99Ms} | ${s.callP99Ms} | ${s.cpuMsPerCall} |`;
  const table = [
    '| system | offered calls/s | completed | errors | invite→incoming p50 ms | p99 ms | invite→accepted p99 ms | full call p99 ms | server CPU ms/call |',
    '|:--|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...steps.map((s) => row('platform', s)),
    row('bare Socket.IO', baseline),
    '',
    `CPU per call at ${measured.rate}/s by process kind (ms): ${Object.entries(measured.cpuMsPerCallByKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ].join('\n');
  writeFileSync(
    OUT,
    JSON.stringify(
      {
        figures,
        detail: {
          quick: QUICK,
          measured,
          steps,
          baseline,
          idleCpuMsPerSecond: scale(target.idle),
          baselineIdleCpuMsPerSecond: scale(baseTarget.idle),
          pairs: pairCount,
          workers: WORKERS,
        },
        table,
      },
      null,
      2,
    ),
  );
  console.error(table);
}

try {
  await main();
  await cleanup();
  clearTimeout(watchdog);
  process.exit(0);
} catch (error) {
  console.error('setup: failed', error);
  await cleanup();
  process.exit(1);
}
