// Admin call history on the seed (issues 9 and 13): list, detail and the 30-day stats over HTTP
// against a real calls app pointed at the seeded database. Goals: list and detail p99 <= 20 ms,
// stats p99 <= 300 ms at 1,000,000 calls.
//
// Run: npm run build && node bench/sections/history.mjs [--quick] [--calls N] --out <file.json>
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import pg from 'pg';
import { AppProcess, deleteRedisKeys, testRedisPrefix } from '#testing';
import { ensureHistorySeed } from '../history-seed.mjs';
import { CLK_TCK, childPidsByPort, cpuMs } from '../lib/proc.mjs';
import { runSection } from '../lib/section.mjs';
import { pct } from '../lib/stats.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
// --calls N: another seed size (e.g. 100000 to look at a plan between the quick and the full seed).
const callsArg = args.includes('--calls') ? Number(args[args.indexOf('--calls') + 1]) : null;

const CALLS = callsArg ?? (quick ? 2_000 : 1_000_000);
const ROUNDS = quick ? 2 : 30; // measured passes over every list scenario
const DETAILS = quick ? 20 : 1_000;
const STATS_RUNS = quick ? 2 : 30;
const PAGE_WALK = quick ? 3 : 10; // pages followed with `cursor`, each a request

// ---------------------------------------------------------------- CPU per request (/proc, Linux only)

/**
 * CPU spent by the calls app and by its Postgres backends while `phase` runs. Unlike latency on a
 * shared machine, CPU per request hardly depends on what else runs. A backend that first shows up
 * during the phase counts from zero.
 */
async function cpuDuring(db, appPid, phase) {
  const backends = async () =>
    (await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'calls'`)).rows.map(
      (r) => r.pid,
    );
  const before = new Map((await backends()).map((pid) => [pid, cpuMs(pid)]));
  const appBefore = appPid ? cpuMs(appPid) : null;
  await phase();
  const appAfter = appPid ? cpuMs(appPid) : null;
  let dbMs = 0;
  for (const pid of new Set([...before.keys(), ...(await backends())]))
    dbMs += (cpuMs(pid) ?? before.get(pid) ?? 0) - (before.get(pid) ?? 0);
  return { appMs: appBefore === null || appAfter === null ? null : appAfter - appBefore, dbMs };
}

// ---------------------------------------------------------------- measuring

const round2 = (v) => Math.round(v * 100) / 100;
const summary = (values) => ({
  n: values.length,
  p50: round2(pct(values, 50)),
  p99: round2(pct(values, 99)),
  max: round2(pct(values, 100)),
});

/** One keep-alive connection, one request at a time: latency without a client-side queue. */
function httpClient(baseUrl, token) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path) =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = request(`${baseUrl}${path}`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200) return reject(new Error(`GET ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
          resolve({ ms, body: JSON.parse(text) });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  return { get, close: () => agent.destroy() };
}

/** Every row must match its filter and come newest first: a fast wrong answer is no answer. */
function checkList(name, query, body) {
  const rows = body?.items;
  if (!Array.isArray(rows)) throw new Error(`${name}: not a page`);
  const limit = Number(query.limit ?? 50);
  if (rows.length > limit) throw new Error(`${name}: ${rows.length} rows for limit ${limit}`);
  rows.forEach((row, i) => {
    const wrong =
      (query.userId && row.callerId !== query.userId && row.calleeId !== query.userId) ||
      (query.state && row.state !== query.state) ||
      (query.endReason && row.endReason !== query.endReason) ||
      (query.to && !(row.createdAt < query.to)) ||
      (query.from && !(row.createdAt >= query.from)) ||
      (query.minDurationMs !== undefined && !(row.durationMs >= query.minDurationMs)) ||
      (query.hadReconnects !== undefined && row.reconnects > 0 !== query.hadReconnects) ||
      (query.relayed !== undefined && row.relayed !== query.relayed) ||
      (i > 0 && row.createdAt > rows[i - 1].createdAt);
    if (wrong) throw new Error(`${name}: row ${i} breaks the filter or the order: ${JSON.stringify(row)}`);
  });
}

const fmtCpu = (c) => `calls app ${c.appCpuMs ?? 'n/a'} ms, Postgres ${c.dbCpuMs} ms`;

const qs = (query) => new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();

/** The list mix: every filter alone, rare values included, combinations, deep pages, big pages. */
async function listScenarios(db, anchor) {
  const at = (daysAgo) => new Date(anchor.getTime() - daysAgo * 86_400_000).toISOString();
  const { rows: heavy } = await db.query(`SELECT caller_id AS id FROM calls GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
  const { rows: typical } = await db.query(`SELECT callee_id AS id FROM calls TABLESAMPLE SYSTEM (1) LIMIT 1`);
  const { rows: quiet } = await db.query(`SELECT callee_id AS id FROM calls GROUP BY 1 ORDER BY count(*) ASC, callee_id LIMIT 1`);
  const heavyUser = heavy[0].id;
  const scenarios = {
    'newest page': {},
    'newest 200': { limit: 200 },
    'user (heaviest)': { userId: heavyUser },
    'user (typical)': { userId: typical[0]?.id ?? heavyUser },
    'user (fewest calls)': { userId: quiet[0].id },
    'user (no calls)': { userId: 'user-nobody' },
    'user (heaviest) 45 days back': { userId: heavyUser, to: at(45) },
    'user (heaviest) + failed': { userId: heavyUser, endReason: 'failed' },
    'user (heaviest) + completed': { userId: heavyUser, endReason: 'completed' },
    'user (heaviest) + ringing': { userId: heavyUser, state: 'ringing' },
    'ended + failed': { state: 'ended', endReason: 'failed' },
    'ringing + completed (empty)': { state: 'ringing', endReason: 'completed' },
    '60 days back': { to: at(60) },
    'failed 60 days back': { endReason: 'failed', to: at(60) },
    'one day, 30 days back': { from: at(31), to: at(30) },
    'talked 10 min or more': { minDurationMs: 600_000 },
    'had reconnects': { hadReconnects: true },
    relayed: { relayed: true },
    'user (heaviest) + relayed': { userId: heavyUser, relayed: true },
  };
  for (const state of ['initiated', 'ringing', 'active', 'ended']) scenarios[`state=${state}`] = { state };
  for (const reason of ['completed', 'cancelled', 'missed', 'declined', 'busy', 'connection-lost', 'ice-failed', 'failed'])
    scenarios[`endReason=${reason}`] = { endReason: reason };
  return { scenarios, heavyUser };
}

/** Follows `cursor` page after page, as an admin scrolling back; each page is one measured request. */
async function walkPages(http, query, pages, record) {
  let cursor;
  for (let page = 0; page < pages; page += 1) {
    const q = { ...query, ...(cursor ? { cursor } : {}) };
    const { ms, body } = await http.get(`/calls?${qs(q)}`);
    checkList(`page ${page} of ${qs(query)}`, query, body);
    record(ms);
    if (!body.nextCursor) return;
    cursor = body.nextCursor;
  }
}

async function main({ defer }) {
  const started = Date.now();
  const seed = await ensureHistorySeed({ calls: CALLS, log: (line) => console.error(`history: ${line}`) });
  const anchor = new Date(seed.anchor);

  const db = new pg.Client({ connectionString: seed.url });
  await db.connect();
  defer(() => db.end());

  const redisPrefix = testRedisPrefix();
  defer(() => deleteRedisKeys(redisPrefix));
  const adminToken = randomBytes(16).toString('hex');
  const starting = AppProcess.start('calls', {
    DATABASE_URL: seed.url,
    REDIS_PREFIX: redisPrefix,
    ADMIN_API_TOKEN: adminToken,
    AUTH_JWT_SECRET: randomBytes(32).toString('hex'),
    INTERNAL_API_TOKEN: randomBytes(16).toString('hex'),
  });
  // Registered before the start resolves, so an abort during a slow start still stops it.
  defer(async () => (await starting.catch(() => null))?.stop());
  const calls = await starting;
  const http = httpClient(calls.url, adminToken);
  defer(async () => http.close());

  const { scenarios, heavyUser } = await listScenarios(db, anchor);
  const { rows: idRows } = await db.query(`SELECT id FROM calls TABLESAMPLE SYSTEM (${quick ? 50 : 1}) LIMIT $1`, [DETAILS]);
  const ids = idRows.map((r) => r.id);

  // Warm-up: one pass of everything, unmeasured (JIT, connection pool, plan and page caches).
  for (const query of Object.values(scenarios)) await http.get(`/calls?${qs(query)}`);
  for (const id of ids.slice(0, 50)) await http.get(`/calls/${id}`);
  for (let i = 0; i < 3; i += 1) await http.get('/health');

  // Measured: scenarios interleaved round by round, so machine noise spreads over all of them.
  const [appPid] = childPidsByPort('dist/apps/calls/src/main.js', [calls.port]);
  const perScenario = Object.fromEntries(Object.keys(scenarios).map((k) => [k, []]));
  const list = [];
  const health = [];
  const listCpu = await cpuDuring(db, appPid, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, query] of Object.entries(scenarios)) {
        const { ms, body } = await http.get(`/calls?${qs(query)}`);
        checkList(name, query, body);
        perScenario[name].push(ms);
        list.push(ms);
      }
      health.push((await http.get('/health')).ms);
    }
    const walks = {
      'walk: newest pages': {},
      'walk: endReason=failed pages': { endReason: 'failed' },
      'walk: user (heaviest) pages': { userId: heavyUser },
    };
    for (const [name, query] of Object.entries(walks)) {
      perScenario[name] = [];
      for (let round = 0; round < Math.max(1, ROUNDS / 10); round += 1)
        await walkPages(http, query, PAGE_WALK, (ms) => (perScenario[name].push(ms), list.push(ms)));
    }
  });

  const detail = [];
  const detailCpu = await cpuDuring(db, appPid, async () => {
    for (const id of ids) {
      const { ms, body } = await http.get(`/calls/${id}`);
      if (body.id !== id || !Array.isArray(body.timeline) || body.timeline.length === 0)
        throw new Error(`detail of ${id}: ${JSON.stringify(body).slice(0, 300)}`);
      detail.push(ms);
    }
  });
  // The list phase's health checks are counted as requests too: one in 30, and about as cheap.
  const perRequest = (cpu, n) => ({
    appCpuMs: cpu.appMs === null ? null : round2(cpu.appMs / n),
    dbCpuMs: round2(cpu.dbMs / n),
  });

  // The 30 days before the seed's anchor, so a reused seed measures the same rows.
  const statsPath = `/calls/stats?${qs({ from: new Date(anchor.getTime() - 30 * 86_400_000).toISOString(), to: anchor.toISOString(), bucket: 'day' })}`;
  const stats = [];
  let statsRows = 0;
  let statsColdMs = null;
  for (let i = 0; i < STATS_RUNS + 1; i += 1) {
    const { ms, body } = await http.get(statsPath);
    // The first run stores the window's closed hours (once per hour, ever); later runs read them.
    if (i > 0) stats.push(ms);
    else statsColdMs = round2(ms);
    statsRows = body.total.calls;
    if (body.buckets.length < 30) throw new Error(`stats: ${body.buckets.length} daily buckets in 30 days`);
  }
  if (statsRows === 0) throw new Error('stats: no calls in the 30-day window');

  const figures = {
    'history.listP99Ms': round2(pct(list, 99)),
    'history.detailP99Ms': round2(pct(detail, 99)),
    'history.statsP99Ms': round2(pct(stats, 99)),
  };
  const scenarioSummaries = Object.fromEntries(Object.entries(perScenario).map(([k, v]) => [k, summary(v)]));
  const row = (name, s) => `| ${name} | ${s.n} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.max.toFixed(2)} |`;
  const table = [
    `History on a ${CALLS.toLocaleString('en')}-call seed (${seed.reused ? 'reused' : `seeded in ${(seed.seedMs / 1000).toFixed(0)} s`}), one request at a time over keep-alive HTTP.`,
    '',
    '| request | n | p50 ms | p99 ms | max ms |',
    '|:--|--:|--:|--:|--:|',
    row('**list, all scenarios**', summary(list)),
    row('**detail**', summary(detail)),
    row('**stats, 30 days by day**', summary(stats)),
    row('GET /health (floor: HTTP + Nest + a DB ping)', summary(health)),
    '',
    `CPU per request (/proc, ${CLK_TCK} ticks/s): list ${fmtCpu(perRequest(listCpu, list.length + health.length))}; detail ${fmtCpu(perRequest(detailCpu, detail.length))}.`,
    '',
    '| list scenario | n | p50 ms | p99 ms | max ms |',
    '|:--|--:|--:|--:|--:|',
    ...Object.entries(scenarioSummaries).map(([k, s]) => row(`list: ${k}`, s)),
  ].join('\n');
  return {
    figures,
    detail: {
      calls: CALLS,
      database: seed.name,
      seedReused: seed.reused,
      seedMs: seed.seedMs,
      seedAnchor: anchor.toISOString(),
      list: { ...summary(list), ...perRequest(listCpu, list.length + health.length) },
      detail: { ...summary(detail), ...perRequest(detailCpu, detail.length) },
      stats: { ...summary(stats), coldMs: statsColdMs, callsInWindow: statsRows },
      health: summary(health),
      scenarios: scenarioSummaries,
      method:
        'list, detail and stats: GET /calls, /calls/:id and /calls/stats on a calls app (AppProcess, built dist) pointed at the seeded database, one keep-alive request at a time; every list answer is checked against its filter and order. ' +
        'stats: the 30 days before the seed anchor by UTC day. ' +
        'health: GET /health through the same client, as the floor of any request on this machine at this moment. ' +
        'CPU per request: user+system CPU of the calls app process and of its Postgres backends over each phase, divided by its requests (the list phase includes its health checks).',
      statsPath,
      wallMs: Date.now() - started,
    },
    table,
  };
}

// A first full run seeds 1M calls.
await runSection('history', main, { watchdogMs: 40 * 60_000, quickWatchdogMs: 300_000 });
