// Push section: VoIP push throughput of the notifier against a plain node:http2 client, both sending
// to the same in-process APNs sandbox in the same run, and invite -> push received latency at a steady
// rate of invites to offline callees. Contract: bench/README.md ("bench sections").
//
// Run: npm run build && node bench/sections/push.mjs [--quick] --out push.json
// The same file, started with --baseline-client, is the baseline load generator (its own process).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createPrivateKey, randomBytes, randomUUID, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, constants } from 'node:http2';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
if (args.includes('--baseline-client')) await baselineClient();
else await section();

// ---------------------------------------------------------------- the baseline: plain node:http2

/**
 * One HTTP/2 session, `concurrency` streams in flight, one provider token signed once and reused
 * (as Apple asks: a token is good for up to an hour). Sends `count` copies of the notifier's own
 * request (same path, headers and body) with fresh apns-ids. Reports its own CPU.
 */
async function baselineClient() {
  const job = await new Promise((resolve) => process.once('message', resolve));
  const key = createPrivateKey(readFileSync(job.keyFile, 'utf8'));
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${b64({ alg: 'ES256', kid: job.keyId })}.${b64({ iss: job.teamId, iat: Math.floor(Date.now() / 1000) })}`;
  const signature = sign('sha256', Buffer.from(unsigned), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  const authorization = `bearer ${unsigned}.${signature}`;
  const session = connect(job.url, { ca: readFileSync(job.caFile, 'utf8'), servername: 'localhost' });
  session.on('error', (error) => process.send({ error: String(error) }));
  await once(session, 'connect');
  process.send({ ready: true });
  for (;;) {
    const round = await new Promise((resolve) => process.once('message', resolve));
    if (round.stop) break;
    const cpu = process.cpuUsage();
    let next = 0;
    let failed = 0;
    const one = () =>
      new Promise((resolve) => {
        const stream = session.request({
          ...job.headers,
          [constants.HTTP2_HEADER_METHOD]: 'POST',
          [constants.HTTP2_HEADER_PATH]: job.path,
          authorization,
          'apns-id': randomUUID(),
        });
        stream.on('response', (headers) => {
          if (headers[':status'] !== 200) failed += 1;
        });
        stream.on('error', () => (failed += 1));
        stream.on('close', resolve);
        stream.resume();
        stream.end(job.body);
      });
    const worker = async () => {
      while (next < round.count) {
        next += 1;
        await one();
      }
    };
    await Promise.all(Array.from({ length: job.concurrency }, worker));
    const used = process.cpuUsage(cpu);
    process.send({ done: true, failed, cpuMs: (used.user + used.system) / 1000 });
  }
  session.close();
  process.disconnect();
}

// ---------------------------------------------------------------- the section

async function section() {
  const quick = args.includes('--quick');
  const out = args[args.indexOf('--out') + 1];
  if (!args.includes('--out') || !out) throw new Error('usage: push.mjs [--quick] --out <file.json>');
  // Pushes per throughput block, and invites for the latency phase (at INVITE_RATE per second).
  const N = Number(process.env.BENCH_PUSH_N ?? (quick ? 50 : 1000));
  const INVITES = Number(process.env.BENCH_PUSH_INVITES ?? (quick ? 5 : 200));
  const INVITE_RATE = Number(process.env.BENCH_PUSH_RATE ?? 10);
  const WATCHDOG_MS = quick ? 90_000 : 300_000;

  const cleanups = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch((error) => console.warn('push bench cleanup:', error));
  };
  const watchdog = setTimeout(() => {
    console.error(`push bench: watchdog after ${WATCHDOG_MS} ms`);
    void cleanup().finally(() => process.exit(1));
  }, WATCHDOG_MS).unref();
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void cleanup().finally(() => process.exit(1)));

  // Imported here so the baseline child never loads the platform code.
  const [{ Platform }, { PUSH_CONCURRENCY, PUSH_QUEUE, PUSH_REPORTS_QUEUE, pushJobId, pushJobOptions }, { default: Bull }] =
    await Promise.all([import('#testing'), import('#contracts'), import('bull')]);

  try {
    let platform = null;
    cleanups.push(async () => platform?.stop());
    platform = await Platform.start({
      gateways: 1,
      ringTimeoutMs: 30_000,
      env: profileEnv(process.env.BENCH_PUSH_PROFILE_DIR),
    });
    const sandbox = platform.apns;

    const queue = new Bull(PUSH_QUEUE, { redis: platform.redisUrl, prefix: `${platform.redisPrefix}bull` });
    cleanups.push(() => queue.close());

    // The notifier's APNs settings, read back from the env Platform gave it (key, CA, endpoint).
    const env = platform.notifierEnv; // private in types only
    const BUNDLE = 'com.example.calls';
    const pushJob = (token) => ({
      kind: 'voip',
      callId: randomUUID(),
      userId: 'bench-callee',
      deviceId: `dev-${token.slice(0, 8)}`,
      token,
      environment: 'sandbox',
      topic: `${BUNDLE}.voip`,
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      payload: {
        callId: randomUUID(),
        callerId: 'bench-caller',
        callerName: 'Bench',
        media: 'video',
        ringDeadline: new Date().toISOString(),
      },
    });
    const hexToken = () => randomBytes(32).toString('hex');
    const notifierPid = platform.notifier.child.pid; // AppProcess keeps its child private in types only
    const callsPid = platform.calls.child.pid;
    const gatewayPid = platform.gateway.child.pid;
    const reportsQueue = new Bull(PUSH_REPORTS_QUEUE, { redis: platform.redisUrl, prefix: `${platform.redisPrefix}bull` });
    cleanups.push(() => reportsQueue.close());
    /** Each phase starts once the calls app has recorded the last one's push reports, so none pays for another. */
    const reportsDrained = async () => {
      for (;;) {
        const counts = await reportsQueue.getJobCounts();
        if (counts.waiting + counts.active + counts.delayed === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    // ---------------------------------------------------------------- latency: invite -> APNs received (first, on a quiet platform)
    // The first WARM invites (same rate, same flow) are not counted: they pay for the JIT of the invite path.
    const WARM = quick ? 0 : 20;
    const callees = [];
    for (let i = 0; i < WARM + INVITES; i += 1) {
      const calleeId = `bench-sleepy-${i}`;
      const token = hexToken();
      const registered = await platform.registerDevice(calleeId, 'phone', {
        platform: 'ios',
        voipToken: token,
        apnsToken: null,
        apnsEnvironment: 'sandbox',
        bundleId: BUNDLE,
        appVersion: '1.0.0',
      });
      if (registered.status !== 200) throw new Error(`registering ${calleeId}: ${registered.status} ${JSON.stringify(registered.body)}`);
      callees.push({ calleeId, token });
    }
    // One caller per invite: a caller whose last call is still ringing would be CALLER_BUSY.
    const callers = [];
    for (let i = 0; i < WARM + INVITES; i += 1) callers.push(await platform.device(`bench-caller-${i}`, { name: 'Bench' }));
    const sentAt = new Map();
    const latencies = [];
    const received = new Map();
    const onPush = (r) => {
      const sent = sentAt.get(r.token);
      if (sent === undefined || received.has(r.token)) return;
      received.set(r.token, r);
      if (sent.counted) latencies.push(r.at.getTime() - sent.at);
      waiters.get(r.token)?.();
    };
    const waiters = new Map();
    sandbox.on('request', onPush);
    const cpuBefore = { notifier: cpuMs(notifierPid), calls: cpuMs(callsPid), gateway: cpuMs(gatewayPid) };
    const inviteErrors = [];
    const stages = [];
    const started = Date.now();
    const calls = callees.map(async ({ calleeId, token }, i) => {
      // A steady rate: invite i leaves at i / rate seconds, whatever happened to the ones before.
      await new Promise((r) => setTimeout(r, started + (i * 1000) / INVITE_RATE - Date.now()));
      const caller = callers[i];
      const pushed = new Promise((resolve) => waiters.set(token, resolve));
      sentAt.set(token, { at: Date.now(), counted: i >= WARM });
      if (received.has(token)) waiters.get(token)();
      const ack = await caller.send('call:invite', { calleeId, media: 'video', idempotencyKey: `bench-${randomUUID()}` });
      if (!ack.ok) return i >= WARM && inviteErrors.push(`${ack.error.code}: ${ack.error.message}`);
      let timer;
      await Promise.race([pushed, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      await caller.send('call:cancel', { callId: ack.data.callId });
      // Where the time went, from the Bull job's own stamps (same machine clock, ms).
      const job = await queue.getJob(pushJobId('voip', ack.data.callId, 'phone'));
      const at = received.get(token)?.at.getTime();
      if (job && at && i >= WARM)
        stages.push({
          toQueue: job.timestamp - sentAt.get(token).at,
          queued: job.processedOn - job.timestamp,
          toApns: at - job.processedOn,
        });
    });
    await Promise.all(calls);
    const inviteSeconds = (Date.now() - started) / 1000;
    sandbox.off('request', onPush);
    const inviteCpu = {
      notifier: cpuMs(notifierPid) - cpuBefore.notifier,
      calls: cpuMs(callsPid) - cpuBefore.calls,
      gateway: cpuMs(gatewayPid) - cpuBefore.gateway,
    };

    // One push through the notifier gives the exact request the baseline will replay.
    const probeToken = hexToken();
    const probeSeen = sandbox.waitFor((r) => r.token === probeToken, 10_000);
    const probe = pushJob(probeToken);
    await queue.add(probe, pushJobOptions(pushJobId(probe.kind, probe.callId, probe.deviceId)));
    const template = await probeSeen;
    if (template.status !== 200) throw new Error(`the probe push was answered ${template.status} ${template.reason}`);
    const { authorization: _a, 'apns-id': _i, ...headers } = template.headers;

    // Throughput is counted at the sandbox: first to last request of a block, for both systems alike.
    const block = async (label, start, count) => {
      const times = [];
      let resolveDone;
      const done = new Promise((resolve) => (resolveDone = resolve));
      const onRequest = (r) => {
        if (!current.has(r.token ?? '')) return;
        times.push(performance.now());
        if (r.status !== 200) failures[label] += 1;
        if (times.length === count) resolveDone();
      };
      sandbox.on('request', onRequest);
      const cpu = { notifier: cpuMs(notifierPid), calls: cpuMs(callsPid) };
      const startedAt = performance.now();
      const clientCpu = await start();
      await done;
      sandbox.off('request', onRequest);
      const elapsed = times.at(-1) - times[0];
      return {
        label,
        count,
        ms: elapsed,
        wallMs: performance.now() - startedAt,
        cpuMs: {
          notifier: cpuMs(notifierPid) - cpu.notifier,
          calls: cpuMs(callsPid) - cpu.calls,
          baselineClient: clientCpu ?? 0,
        },
      };
    };
    const failures = { notifier: 0, baseline: 0 };
    let current = new Set();

    const client = fork(fileURLToPath(import.meta.url), ['--baseline-client'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    cleanups.push(async () => {
      if (client.exitCode === null && client.signalCode === null) {
        client.kill('SIGKILL');
        await once(client, 'exit');
      }
    });
    const fromClient = () =>
      new Promise((resolve, reject) => {
        client.once('message', (m) => (m.error ? reject(new Error(`baseline client: ${m.error}`)) : resolve(m)));
        client.once('exit', (code) => reject(new Error(`baseline client exited with ${code}`)));
      });
    client.send({
      url: sandbox.url,
      caFile: env.APNS_CA_FILE,
      keyFile: env.APNS_KEY_FILE,
      keyId: env.APNS_KEY_ID,
      teamId: env.APNS_TEAM_ID,
      path: `/3/device/${probeToken}`,
      headers,
      body: template.body,
      // Streams in flight: the notifier's own PUSH_CONCURRENCY, so neither side gets more.
      concurrency: PUSH_CONCURRENCY,
    });
    await fromClient();

    const runBaseline = () =>
      block(
        'baseline',
        async () => {
          // The baseline replays one token; every request of the block counts.
          current = new Set([probeToken]);
          const reply = fromClient();
          client.send({ count: N });
          return reply.then((m) => {
            failures.baseline += m.failed;
            return m.cpuMs;
          });
        },
        N,
      );
    const runNotifier = () =>
      block(
        'notifier',
        async () => {
          const jobs = Array.from({ length: N }, () => pushJob(hexToken()));
          current = new Set(jobs.map((j) => j.token));
          await queue.addBulk(jobs.map((data) => ({ data, opts: pushJobOptions(pushJobId(data.kind, data.callId, data.deviceId)) })));
          return null;
        },
        N,
      );
    // Warm-up (not counted): the first block of either system otherwise pays for its JIT.
    await reportsDrained();
    await runBaseline();
    await runNotifier();
    const blocks = [];
    for (const run of [runBaseline, runNotifier, runNotifier, runBaseline, runBaseline, runNotifier, runNotifier, runBaseline]) {
      await reportsDrained();
      blocks.push(await run());
    }
    client.send({ stop: true });

    const rate = (label) => {
      const mine = blocks.filter((b) => b.label === label);
      return (mine.reduce((s, b) => s + b.count - 1, 0) * 1000) / mine.reduce((s, b) => s + b.ms, 0);
    };
    const cpuPerPush = (label, proc) => {
      const mine = blocks.filter((b) => b.label === label);
      return mine.reduce((s, b) => s + b.cpuMs[proc], 0) / mine.reduce((s, b) => s + b.count, 0);
    };
    const notifierRate = rate('notifier');
    const baselineRate = rate('baseline');

    // An overloaded machine can make the calls app refuse invites (CALLS_UNAVAILABLE); that is reported, not
    // fatal. An invite that was accepted and never reached APNs is a broken platform.
    const accepted = INVITES - inviteErrors.length;
    if (accepted === 0) throw new Error(`every invite failed: ${[...new Set(inviteErrors)].join(', ')}`);
    if (latencies.length < accepted) throw new Error(`only ${latencies.length} of ${accepted} accepted invites reached APNs`);
    if (failures.notifier + failures.baseline > 0) throw new Error(`non-200 answers: ${JSON.stringify(failures)}`);

    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p) => percentile(latencies, p);
    const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
    const figures = { 'push.ratio': round(notifierRate / baselineRate, 3), 'push.p99Ms': pct(99) };
    const detail = {
      quick,
      machine: { cpus: cpus().length, node: process.version, loadavg: loadavg() },
      throughput: {
        pushesPerBlock: N,
        order: 'ABBA twice (baseline first)',
        concurrency: PUSH_CONCURRENCY,
        payloadBytes: Buffer.byteLength(template.body),
        notifierPerSecond: round(notifierRate, 0),
        baselinePerSecond: round(baselineRate, 0),
        cpuMsPerPush: {
          notifier: round(cpuPerPush('notifier', 'notifier'), 3),
          callsDuringNotifierBlocks: round(cpuPerPush('notifier', 'calls'), 3),
          baselineClient: round(cpuPerPush('baseline', 'baselineClient'), 3),
        },
        blocks: blocks.map((b) => ({ ...b, ms: round(b.ms, 1), wallMs: round(b.wallMs, 1) })),
      },
      latency: {
        invites: INVITES,
        inviteErrors: inviteErrors.length,
        inviteErrorCodes: [...new Set(inviteErrors)],
        offeredPerSecond: INVITE_RATE,
        achievedPerSecond: round((WARM + INVITES) / inviteSeconds, 1),
        p50Ms: pct(50),
        p90Ms: pct(90),
        p99Ms: pct(99),
        maxMs: sorted.at(-1),
        clock: 'Date.now() before the invite emit -> sandbox stream start (same process, ms)',
        stagesP50Ms: Object.fromEntries(
          ['toQueue', 'queued', 'toApns'].map((k) => [
            k,
            percentile(
              stages.map((x) => x[k]),
              50,
            ),
          ]),
        ),
        stagesP99Ms: Object.fromEntries(
          ['toQueue', 'queued', 'toApns'].map((k) => [
            k,
            percentile(
              stages.map((x) => x[k]),
              99,
            ),
          ]),
        ),
        cpuMsPerInvite: Object.fromEntries(Object.entries(inviteCpu).map(([k, v]) => [k, round(v / (WARM + INVITES), 2)])),
      },
    };
    const table = [
      '| push | notifier | plain HTTP/2 | ratio |',
      '|:--|--:|--:|--:|',
      `| pushes/s (${N} per block, ABBA) | ${round(notifierRate, 0)} | ${round(baselineRate, 0)} | ${figures['push.ratio']}x |`,
      `| CPU ms per push (sender) | ${detail.throughput.cpuMsPerPush.notifier} | ${detail.throughput.cpuMsPerPush.baselineClient} | |`,
      `| invite -> APNs p50 / p99 ms (${INVITES} at ${INVITE_RATE}/s) | ${pct(50)} / ${pct(99)} | | |`,
    ].join('\n');
    writeFileSync(out, JSON.stringify({ figures, detail, table }, null, 2));
    console.log(table);
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

/**
 * BENCH_PUSH_PROFILE_DIR=<dir> profiles every app of the run into <dir>. Node refuses --cpu-prof in
 * NODE_OPTIONS and AppProcess owns the apps' argv, so a preload starts the V8 profiler through
 * node:inspector and writes the profile when the app is told to stop (before Nest re-raises SIGTERM).
 */
function profileEnv(dir) {
  if (!dir) return {};
  const preload = `${dir}/cpuprof.mjs`;
  writeFileSync(
    preload,
    `import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.start');
const app = process.argv[1].split('/').at(-3);
const dump = () => {
  process.off('SIGTERM', dump);
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(${JSON.stringify(dir)} + '/' + app + '-' + process.pid + '.cpuprofile', JSON.stringify(result.profile));
  });
};
process.on('SIGTERM', dump);
`,
  );
  return { NODE_OPTIONS: `--import=${preload}` };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** User+system CPU of a process in ms (Linux /proc, clock ticks of 10 ms). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
