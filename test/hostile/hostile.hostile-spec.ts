import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { DEFAULT_LIMITS } from '#contracts';
import { type AppProcess, Platform, type TestDevice, mintToken } from '#testing';
import { type HostileResults, writeHostileResults } from './hostile-results.js';
import { FloodClient, type FloodOutcome } from './flood-client.js';
import { type ActiveCall, type Block, cpuMs, percentile, relayLatencies } from './relay-latency.js';
import { fuzzRest } from './rest-fuzzer.js';
import { type OpenApiDocument, type RestSamples, restInput, routesOf } from './rest-inputs.js';
import { SocketFuzzer } from './socket-fuzzer.js';
import { socketInput } from './socket-inputs.js';
import { Tally } from './tally.js';

// Issue 12 item 5: malformed input from a signed-in user, a flood, an invite loop. HOSTILE_SEED
// replays a run's inputs; HOSTILE_RUNS sets how many (two thirds socket messages, a third REST).
const SEED = Number(process.env.HOSTILE_SEED ?? randomBytes(4).readUInt32BE() >>> 1);
const RUNS = Number(process.env.HOSTILE_RUNS ?? 3000);
const BUNDLE = 'com.example.calls';
// The fuzzing sockets' node: budgets raised so that every message reaches validation (a refusal
// for rate would still be an answer, but would test nothing behind it).
const UNLIMITED = Object.fromEntries(
  ['RATE_LIMIT_LIFECYCLE', 'RATE_LIMIT_RELAY', 'RATE_LIMIT_QUALITY', 'RATE_LIMIT_RESUME', 'RATE_LIMIT_STRIKES'].map((name) => [
    name,
    '1000000/1',
  ]),
);
/** Output that means an error escaped every handler. */
const UNHANDLED = /unhandled|uncaught|FATAL|TypeError|ReferenceError|RangeError|Maximum call stack/i;

/** A valid registration of an iPhone with a VoIP token. */
const deviceBody = (voipToken: string) => ({
  platform: 'ios',
  voipToken,
  apnsToken: null,
  apnsEnvironment: 'sandbox',
  bundleId: BUNDLE,
  appVersion: '1.0.0',
});
const tag = () => randomUUID().slice(0, 8);
const key = () => `key-${randomUUID()}`;

let platform: Platform;
let fuzzGateway: AppProcess;
let existing: ActiveCall;
const results: HostileResults = {
  seed: SEED,
  inputsTried: null,
  crashes: null,
  unanswered: null,
  stateChanges: null,
  floodRelayP95Ratio: null,
  pushesPerCalleePerMinuteMax: null,
  detail: {},
};

beforeAll(async () => {
  console.log(`hostile: seed ${SEED}, ${RUNS} inputs (HOSTILE_SEED=${SEED} replays them)`);
  platform = await Platform.start({ gateways: 1, ringTimeoutMs: 30_000 });
  fuzzGateway = await platform.addGateway(UNLIMITED);
  existing = await activeCall();
}, 90_000);

afterAll(async () => {
  await writeHostileResults(results);
  await platform?.stop();
});

async function activeCall(): Promise<ActiveCall> {
  const caller = await platform.device(`hx-caller-${tag()}`);
  const callee = await platform.device(`hx-callee-${tag()}`);
  const { callId } = await caller.must('call:invite', { calleeId: callee.userId, media: 'video', idempotencyKey: key() });
  await callee.must('call:accept', { callId });
  await caller.next('call:accepted', (p) => p.callId === callId);
  // Media up on both sides, or the call ends as failed after CONNECT_TIMEOUT_MS, mid-measurement.
  await Promise.all([caller, callee].map((d) => d.must('call:ice-state', { callId, state: 'connected' })));
  return { caller, callee, callId };
}

/**
 * Row counts of every table, and the existing call as the admin API shows it. Not counted:
 * `call_stats_hourly`, totals of past hours that `GET /calls/stats` stores the first time it reads
 * them (a cache of what the calls table says, filled by a read, changing no call).
 */
async function snapshot(): Promise<Record<string, unknown>> {
  const { rows: tables } = await platform.db.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('migrations', 'typeorm_metadata', 'call_stats_hourly') ORDER BY 1",
  );
  const counts: Record<string, unknown> = {};
  for (const { name } of tables) counts[name] = Number((await platform.db.query(`SELECT count(*) AS n FROM "${name}"`)).rows[0].n);
  const { body } = await platform.admin<{ state: string; version: number; timeline: { type: string; data: unknown }[] }>(
    `/calls/${existing.callId}`,
  );
  const timeline = body.timeline.map((e) => `${e.type} ${JSON.stringify(e.data)}`).join('; ');
  return { ...counts, existingState: body.state, existingVersion: body.version, existingTimeline: timeline };
}

describe('malformed input', () => {
  it('every socket message and REST request is answered, and none changes anything', async () => {
    const before = await snapshot();
    const targets = { callId: existing.callId, calleeId: existing.callee.userId };
    const sockets = new Tally();
    const socketRuns = Math.round((RUNS * 2) / 3);
    let fuzzers = 0;
    const connect = (): Promise<TestDevice> => platform.device(`hx-fuzzer-${(fuzzers += 1)}`, { gateway: fuzzGateway });
    await new SocketFuzzer(connect, sockets).run(fc.sample(socketInput(targets), { seed: SEED, numRuns: socketRuns }), 4, 8);

    const doc = (await (await fetch(`${platform.calls.url}/docs/openapi.json`)).json()) as OpenApiDocument;
    const user = `hx-rest-${tag()}`;
    const samples: RestSamples = {
      pathParams: { id: existing.callId, deviceId: 'hostile-phone', userId: user },
      bodies: {
        'PUT /devices/{deviceId}': () => deviceBody(randomBytes(32).toString('hex')),
        // Always sent broken (a field of another type, or an unknown one): the call is never ended.
        'POST /calls/{id}/end': () => ({ reason: 'hostile input' }),
      },
    };
    const credentials = {
      userToken: await platform.token(user),
      adminToken: platform.adminToken,
      foreignToken: await mintToken(randomBytes(32).toString('hex'), user),
    };
    const routes = routesOf(doc, samples);
    const rest = new Tally();
    const restInputs = fc.sample(restInput(routes, samples, credentials), { seed: SEED, numRuns: RUNS - socketRuns });
    await fuzzRest(restInputs, { calls: platform.calls.url, gateway: fuzzGateway.url }, rest, 8);

    const after = await snapshot();
    const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
    results.inputsTried = sockets.tried + rest.tried;
    results.unanswered = sockets.unanswered + rest.unanswered;
    results.stateChanges = changed.length;
    results.detail.sockets = {
      tried: sockets.tried,
      answers: sockets.codes,
      failures: sockets.failures,
      accepted: sockets.accepted,
      notes: sockets.notes,
    };
    results.detail.rest = {
      routes: routes.map((r) => `${r.method.toUpperCase()} ${r.path}`),
      tried: rest.tried,
      answers: rest.codes,
      failures: rest.failures,
    };
    results.detail.state = { before, after };

    expect({ sockets: sockets.failures, rest: rest.failures }).toEqual({ sockets: [], rest: [] });
    expect(changed).toEqual([]);
    expect(sockets.tried + rest.tried).toBeGreaterThanOrEqual(RUNS * 0.95);
  }, 240_000);
});

describe('one socket flooding at its maximum permitted rate', () => {
  it("barely moves another call's relay p95 (ABBA blocks in one run)", async () => {
    const t = tag();
    const flooding = await FloodClient.start(
      platform.gateway.url,
      await platform.token(`hx-flooder-${t}`),
      await platform.token(`hx-flooded-${t}`),
      `hx-flooded-${t}`,
    );
    const BLOCK_MS = 3000;
    const blocks: (Omit<Block, 'latencies'> & { flooded: boolean; arrived: number; gatewayCpuPct: number; flood?: FloodOutcome })[] = [];
    const without: number[] = [];
    const withFlood: number[] = [];
    results.detail.flood = { blocks }; // so far, should a block never end
    try {
      await relayLatencies(existing, 1000, 0); // warm-up, not counted
      let n = 10_000;
      // ABBA twice: a load that drifts during the run weighs on both sides alike.
      for (const flooded of [false, true, true, false, false, true, true, false]) {
        n += 1000;
        const [cpu, start] = [cpuMs(platform.gateway.pid!), performance.now()];
        if (flooded) flooding.flood();
        const { latencies, ...block } = await relayLatencies(existing, BLOCK_MS, n);
        const gatewayCpuPct = Math.round((100 * (cpuMs(platform.gateway.pid!) - cpu)) / (performance.now() - start));
        (flooded ? withFlood : without).push(...latencies);
        blocks.push({ flooded, ...block, arrived: latencies.length, gatewayCpuPct, ...(flooded ? { flood: await flooding.stop() } : {}) });
      }
    } finally {
      await flooding.close();
      // Should samples have been refused: how the measured call ended, if it did.
      const { body } = await platform.admin<{ state: string; timeline: { type: string; at: string; data: unknown }[] }>(
        `/calls/${existing.callId}`,
      );
      results.detail.measuredCall = {
        state: body.state,
        timeline: body.timeline.map((e) => [e.at, e.type, JSON.stringify(e.data).slice(0, 200)]),
      };
    }
    const ratio = percentile(withFlood, 95) / percentile(without, 95);
    results.floodRelayP95Ratio = Number(ratio.toFixed(2));
    results.detail.flood = {
      rate: DEFAULT_LIMITS.RATE_LIMIT_RELAY,
      blocks,
      withoutMs: { samples: without.length, p50: percentile(without, 50), p95: percentile(without, 95) },
      withMs: { samples: withFlood.length, p50: percentile(withFlood, 50), p95: percentile(withFlood, 95) },
    };
    // Every sample answered and delivered, and the flood never cost its socket the connection.
    expect(blocks.filter((b) => b.arrived < b.sent || b.refused.length || b.flood?.connected === false)).toEqual([]);
    expect(ratio).toBeLessThanOrEqual(2);
  }, 150_000);
});

describe('an invite loop against one offline phone', () => {
  it('several accounts inviting and cancelling ring it at most its push budget in any minute', async () => {
    const calleeId = `hx-sleepy-${tag()}`;
    const voip = randomBytes(32).toString('hex');
    const registered = await platform.registerDevice(calleeId, 'phone', deviceBody(voip));
    expect(registered.status).toBe(200);
    const callers = await Promise.all(Array.from({ length: 5 }, () => platform.device(`hx-looper-${tag()}`)));
    const cycles = DEFAULT_LIMITS.PUSH_BUDGET_PER_DEVICE.points * 3;
    for (let i = 0; i < cycles; i += 1) {
      const caller = callers[i % callers.length]!;
      const { callId } = await caller.must('call:invite', { calleeId, media: 'video', idempotencyKey: key() });
      // Cancel once the push was decided and, if sent, delivered: a withdrawn push proves nothing.
      const decided = await platform.timeline(callId, (types) => types.includes('push-queued') || types.includes('push-skipped'));
      if (!decided.timeline.some((e) => e.type === 'push-skipped'))
        await platform.apns!.waitFor((r) => r.token === voip && (r.payload as { callId?: string }).callId === callId);
      await caller.must('call:cancel', { callId });
    }
    const times = platform.apns!.requestsFor(voip).map((r) => r.at.getTime());
    const perMinute = Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + 60_000).length));
    results.pushesPerCalleePerMinuteMax = perMinute;
    results.detail.inviteLoop = { cycles, callers: callers.length, pushes: times.length, budget: DEFAULT_LIMITS.PUSH_BUDGET_PER_DEVICE };
    expect(perMinute).toBeLessThanOrEqual(DEFAULT_LIMITS.PUSH_BUDGET_PER_DEVICE.points);
  }, 90_000);
});

describe('afterwards', () => {
  it('every app is alive and healthy, with no unhandled error in its output', async () => {
    const apps = [...platform.gateways, ...platform.callsNodes, ...(platform.notifier ? [platform.notifier] : [])];
    const health = await Promise.all(
      apps.map(async (app) => ({
        app: `${app.name}:${app.port}`,
        ended: app.ended,
        healthy: await fetch(`${app.url}/health`, { signal: AbortSignal.timeout(5000) }).then(
          (r) => r.ok,
          () => false,
        ),
        unhandled: app.logs
          .join('')
          .split('\n')
          .filter((line) => UNHANDLED.test(line))
          .slice(0, 10),
      })),
    );
    const crashed = health.filter((h) => h.ended || !h.healthy || h.unhandled.length);
    results.crashes = crashed.length;
    results.detail.apps = health;
    expect(crashed).toEqual([]);
  });
});
