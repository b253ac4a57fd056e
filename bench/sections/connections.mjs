// Memory per idle authenticated socket: N clients on one gateway against N on one bare Socket.IO
// node (bench/baseline-relay-server.mjs with AUTH_JWT_SECRET) with the same Redis adapter.
// Figure: connections.ratio. See bench/README.md.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SIGNALING_NAMESPACE } from '#contracts';
import { AppProcess, InspectorSession, Platform, deleteRedisKeys, testRedisPrefix } from '#testing';
import { startBaselineNode } from '../lib/baseline-node.mjs';
import { runSection } from '../lib/section.mjs';
import { comparisonTable, ratio } from '../lib/stats.mjs';

const CLIENTS = fileURLToPath(new URL('../lib/idle-clients.mjs', import.meta.url));
/** Connected and dropped before the first reading: per-process lazy set-up is no client's cost. */
const WARMUP_CLIENTS = 50;
const KiB = 1024;

/** Opens `count` idle sockets from `workers` processes; resolves once all have tried, with close(). */
async function idleClients(url, secret, count, workers, userPrefix, defer) {
  const children = Array.from({ length: workers }, (_, w) => {
    const share = Math.floor(count / workers) + (w < count % workers ? 1 : 0);
    const child = fork(CLIENTS, [], {
      env: { PATH: process.env.PATH ?? '', URL: url, JWT_SECRET: secret, COUNT: String(share), USER_PREFIX: `${userPrefix}w${w}-` },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    defer(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    const report = new Promise((resolve, reject) => {
      child.once('message', resolve);
      exited.then((code) => reject(new Error(`client process exited with ${code} before connecting`)));
    });
    return { child, exited, report };
  });
  const reports = await Promise.all(children.map((c) => c.report));
  const connected = reports.reduce((a, r) => a + r.connected, 0);
  const failed = reports.reduce((a, r) => a + r.failed, 0);
  return {
    connected,
    failed,
    firstError: reports.find((r) => r.firstError)?.firstError ?? null,
    close: async () => {
      for (const c of children) if (c.child.connected) c.child.send('close');
      await Promise.all(children.map((c) => c.exited));
    },
  };
}

/**
 * Retained memory after forced GC, read until two readings agree within 1 % (the server may still be
 * finishing connection work, e.g. presence writes, when the last client reports connected).
 */
async function settledMemory(session) {
  let last = await session.memoryAfterGc();
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 300));
    const now = await session.memoryAfterGc();
    const settled = Math.abs(now.heapUsed - last.heapUsed) / last.heapUsed < 0.01;
    last = now;
    if (settled) break;
  }
  return last;
}

/** One system: warm-up clients, a reading, N clients, a reading; KiB per client from the deltas. */
async function measure(label, server, { secret, count, workers, defer }) {
  // Closed before the server is stopped: a process with a debugger attached waits for it to go.
  const session = await InspectorSession.open(server.inspectPort);
  try {
    return await measureWith(session, label, server, { secret, count, workers, defer });
  } finally {
    session.close();
  }
}

async function measureWith(session, label, server, { secret, count, workers, defer }) {
  const prefix = `bench-conn-${label}-${Date.now().toString(36)}-`;
  const warm = await idleClients(server.url, secret, WARMUP_CLIENTS, 1, `${prefix}warm-`, defer);
  if (warm.failed) throw new Error(`${label}: ${warm.failed} warm-up clients refused: ${warm.firstError}`);
  await warm.close();
  const before = await settledMemory(session);
  const t0 = performance.now();
  const clients = await idleClients(server.url, secret, count, workers, prefix, defer);
  const connectS = (performance.now() - t0) / 1000;
  if (clients.failed > count * 0.01) throw new Error(`${label}: ${clients.failed}/${count} clients refused: ${clients.firstError}`);
  const after = await settledMemory(session);
  await clients.close();
  const per = (field) => (after[field] - before[field]) / clients.connected / KiB;
  console.log(
    `connections: ${label}: ${clients.connected} clients in ${connectS.toFixed(1)} s, ${per('heapUsed').toFixed(1)} KiB heap each`,
  );
  return {
    clients: clients.connected,
    refused: clients.failed,
    connectsPerSecond: clients.connected / connectS,
    heapKiBPerClient: per('heapUsed'),
    rssKiBPerClient: per('rss'),
    externalKiBPerClient: per('external'),
    before,
    after,
  };
}

await runSection('connections', async ({ quick, defer, started }) => {
  const count = quick ? 200 : 10_000;
  const workers = quick ? 1 : 4;
  const platform = await started(Platform.start({ gateways: 0, notifier: false }), (p) => p.stop());

  const gatewayInspector = await InspectorSession.option();
  const gateway = await started(
    AppProcess.start('gateway', { ...platform.gatewayEnv(platform.sharedEnv()), NODE_OPTIONS: gatewayInspector.nodeOptions }),
    (g) => g.stop(),
  );
  const p = await measure(
    'platform',
    { url: `${gateway.url}${SIGNALING_NAMESPACE}`, inspectPort: gatewayInspector.port },
    { secret: platform.jwtSecret, count, workers, defer },
  );
  await gateway.stop();

  const baselinePrefix = `${testRedisPrefix()}bench:`;
  defer(() => deleteRedisKeys(baselinePrefix));
  const baselineInspector = await InspectorSession.option();
  const node = await started(
    startBaselineNode(baselinePrefix, { AUTH_JWT_SECRET: platform.jwtSecret, NODE_OPTIONS: baselineInspector.nodeOptions }),
    (n) => n.stop(),
  );
  const b = await measure(
    'baseline',
    { url: node.url, inspectPort: baselineInspector.port },
    { secret: platform.jwtSecret, count, workers, defer },
  );
  await node.stop();

  const rows = [
    ['heap used per client after GC (KiB)', p.heapKiBPerClient, b.heapKiBPerClient],
    ['RSS per client (KiB)', p.rssKiBPerClient, b.rssKiBPerClient],
    ['external memory per client (KiB)', p.externalKiBPerClient, b.externalKiBPerClient],
    ['connects per second', p.connectsPerSecond, b.connectsPerSecond],
  ];
  const table =
    `${comparisonTable(rows)}\n\n${count} idle authenticated sockets per system from ${workers} client process(es), ` +
    `after ${WARMUP_CLIENTS} warm-up sockets; deltas of process.memoryUsage() read through the inspector after forced GC. ` +
    'connections.ratio = heap ratio.';
  return {
    figures: { 'connections.ratio': ratio(p.heapKiBPerClient, b.heapKiBPerClient) },
    detail: {
      count,
      workers,
      warmupClients: WARMUP_CLIENTS,
      platform: p,
      baseline: b,
      rssRatio: ratio(p.rssKiBPerClient, b.rssKiBPerClient),
    },
    table,
  };
});
