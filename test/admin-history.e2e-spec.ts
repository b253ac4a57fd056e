import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import {
  type AdminCallView,
  CALL_MILESTONES_QUEUE,
  type CallDetailView,
  type CallMilestonesJob,
  type CallPage,
  type CallStats,
  INTERNAL_TOKEN_HEADER,
  type QualitySample,
  QUALITY_SAMPLE,
  type QualitySamplePage,
  type RecentCallPage,
} from '#contracts';
import { Platform, pollUntil } from '#testing';

/**
 * The admin history of issue 13 and the user's Recents: keyset paging, every filter, the detail with
 * its paged timeline and quality summary, statistics, export, ending a stuck call, and retention.
 * Most calls are written straight into the database, each test in its own window of time and with
 * its own users, so tests share one platform without seeing each other's calls.
 */
let platform: Platform;
const INTERNAL = 'internal-test-token-0123456789';

beforeAll(async () => {
  // Retention runs every 300 ms in batches of 2, so its test sees several batches within a run.
  platform = await Platform.start({ notifier: false, env: { RETENTION_INTERVAL_MS: '300', RETENTION_BATCH: '2' } });
}, 60_000);
afterAll(async () => platform?.stop());

interface Seed {
  id?: string;
  caller: string;
  callee: string;
  createdAt: string;
  state?: 'initiated' | 'ringing' | 'active' | 'ended';
  endReason?: string | null;
  answeredAfterMs?: number | null;
  durationMs?: number | null;
  reconnects?: number;
  relayed?: boolean;
  qualitySummary?: Record<string, unknown> | null;
}

async function seed(call: Seed): Promise<string> {
  const id = call.id ?? randomUUID();
  const state = call.state ?? 'ended';
  const created = new Date(call.createdAt);
  const answeredAt = call.answeredAfterMs == null ? null : new Date(created.getTime() + call.answeredAfterMs);
  await platform.db.query(
    `INSERT INTO calls (id, state, end_reason, media, caller_id, caller_device_id, callee_id, answered_device_id, created_at, answered_at,
                        ended_at, ring_deadline, duration_ms, reconnects, relayed, quality_summary, last_seq)
     VALUES ($1, $2::varchar, $3, 'video', $4::varchar, $4::varchar || '-phone', $5::varchar, CASE WHEN $7::timestamptz IS NULL THEN NULL ELSE $5::varchar || '-phone' END,
             $6::timestamptz, $7, CASE WHEN $2::varchar = 'ended' THEN $6::timestamptz + interval '1 hour' END, $8, $9, $10, $11, $12, 0)`,
    [
      id,
      state,
      state === 'ended' ? (call.endReason ?? 'completed') : null,
      call.caller,
      call.callee,
      call.createdAt,
      answeredAt,
      state === 'ended' ? call.createdAt : '2100-01-01T00:00:00Z', // open calls ring until far ahead
      state === 'ended' ? (call.durationMs ?? 0) : null,
      call.reconnects ?? 0,
      call.relayed ?? false,
      call.qualitySummary ? JSON.stringify(call.qualitySummary) : null,
    ],
  );
  return id;
}

async function entry(callId: string, type: string, at: string, actor: string | null, data: unknown = null): Promise<void> {
  await platform.db.query(
    `WITH bumped AS (UPDATE calls SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
     INSERT INTO call_timeline (call_id, seq, type, at, actor_user_id, actor_device_id, data)
     SELECT $1, last_seq, $2, $3, $4::varchar, $4::varchar || '-phone', $5::jsonb FROM bumped`,
    [callId, type, at, actor, data === null ? null : JSON.stringify(data)],
  );
}

/**
 * Quality samples take the way a gateway sends them, a milestones job, so the calls app's own
 * writer stores them. `receivedAt` is the gateway's clock; the sample's `at` the phone's.
 */
async function samples(callId: string, sent: { actor: string; receivedAt: string; sample: QualitySample }[]): Promise<void> {
  const queue = platform.queue<CallMilestonesJob>(CALL_MILESTONES_QUEUE);
  try {
    const milestones = sent.map(({ actor, receivedAt, sample }) => ({
      callId,
      type: QUALITY_SAMPLE,
      actorUserId: actor,
      actorDeviceId: `${actor}-phone`,
      at: receivedAt,
      data: sample,
    }));
    await queue.add({ milestones });
  } finally {
    await queue.close();
  }
}

const sampleCount = async (callId: string, where = '') =>
  Number((await platform.db.query(`SELECT count(*) AS n FROM call_quality_samples WHERE call_id = $1 ${where}`, [callId])).rows[0].n);

const qs = (query: Record<string, string | number | boolean>) =>
  new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();

async function list(query: Record<string, string | number | boolean>): Promise<CallPage> {
  const { status, body } = await platform.admin<CallPage>(`/calls?${qs(query)}`);
  expect(status).toBe(200);
  return body;
}

async function walk(query: Record<string, string | number | boolean>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: CallPage = await list({ ...query, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((c) => c.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

function post(path: string, body: unknown, token = platform.adminToken): Promise<{ status: number; body: Record<string, unknown> }> {
  return fetch(`${platform.calls.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
}

/** A real call from `<prefix>-ann` to `<prefix>-bob`, ringing on Bob's connected device. */
async function ringing(prefix: string) {
  const caller = await platform.device(`${prefix}-ann`);
  const callee = await platform.device(`${prefix}-bob`);
  const { callId } = await caller.must('call:invite', { calleeId: `${prefix}-bob`, media: 'audio', idempotencyKey: randomUUID() });
  await callee.next('call:incoming', (p) => p.callId === callId);
  return { caller, callee, callId };
}

describe('GET /calls: filters and a keyset cursor', () => {
  const day = '2026-03-01';
  const t = (minute: number) => `${day}T10:${String(minute).padStart(2, '0')}:00.000Z`;
  const range = { from: `${day}T00:00:00.000Z`, to: `${day}T23:59:59.000Z` };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ids.a = await seed({ caller: 'k-ann', callee: 'k-bob', createdAt: t(1), answeredAfterMs: 2000, durationMs: 600_000 });
    // Two calls created in the same microsecond: only the id tells them apart.
    ids.b = await seed({ caller: 'k-bob', callee: 'k-cid', createdAt: t(2), endReason: 'missed' });
    ids.c = await seed({ caller: 'k-cid', callee: 'k-ann', createdAt: t(2), answeredAfterMs: 3000, durationMs: 30_000, reconnects: 2 });
    // Microseconds apart: a cursor kept to the millisecond would skip or repeat one of them.
    ids.d = await seed({ caller: 'k-ann', callee: 'k-cid', createdAt: `${day}T10:03:00.000100Z`, endReason: 'declined' });
    ids.e = await seed({
      caller: 'k-bob',
      callee: 'k-ann',
      createdAt: `${day}T10:03:00.000200Z`,
      answeredAfterMs: 1000,
      durationMs: 5000,
      relayed: true,
    });
    ids.f = await seed({ caller: 'k-cid', callee: 'k-bob', createdAt: t(4), state: 'active', answeredAfterMs: 1000 });
  });

  const newestFirst = () => [ids.f, ids.e, ids.d, ...[ids.c, ids.b].sort().reverse(), ids.a];

  it('walks every call once, newest first, a page at a time, while new calls are created', async () => {
    const all = await list({ ...range, limit: 50 });
    expect(all.items.map((c) => c.id)).toEqual(newestFirst());
    expect(all.nextCursor).toBeNull();

    const first = await list({ ...range, limit: 2 });
    expect(first.items.map((c) => c.id)).toEqual(newestFirst().slice(0, 2));
    // A call created after the first page is read does not shift the pages that follow.
    await seed({ caller: 'k-ann', callee: 'k-bob', createdAt: t(5) });
    const rest: string[] = [];
    let cursor = first.nextCursor;
    while (cursor) {
      const next = await list({ ...range, limit: 2, cursor });
      rest.push(...next.items.map((c) => c.id));
      cursor = next.nextCursor;
    }
    expect(rest).toEqual(newestFirst().slice(2));
  });

  it('filters by user, state, end reason, time, duration, reconnects and relay, alone and combined', async () => {
    const ids_ = async (query: Record<string, string | number | boolean>) => (await walk({ ...range, limit: 2, ...query })).sort();
    const sorted = (...xs: string[]) => xs.sort();
    expect(await ids_({ userId: 'k-cid' })).toEqual(sorted(ids.b!, ids.c!, ids.d!, ids.f!));
    expect(await ids_({ state: 'active' })).toEqual([ids.f]);
    expect(await ids_({ endReason: 'missed' })).toEqual([ids.b]);
    expect(await ids_({ minDurationMs: 30_000 })).toEqual(sorted(ids.a!, ids.c!));
    expect(await ids_({ hadReconnects: true })).toEqual([ids.c]);
    expect(await ids_({ relayed: true })).toEqual([ids.e]);
    expect(await ids_({ userId: 'k-ann', relayed: true })).toEqual([ids.e]);
    expect(await ids_({ userId: 'k-ann', minDurationMs: 30_000, hadReconnects: false })).toEqual([ids.a]);
    expect(await ids_({ from: `${day}T10:02:00.000Z`, to: `${day}T10:03:00.000150Z` })).toEqual(sorted(ids.b!, ids.c!, ids.d!));
    const [c] = (await list({ ...range, hadReconnects: true })).items as AdminCallView[];
    expect(c).toMatchObject({ id: ids.c, reconnects: 2, relayed: false });
  });

  it('refuses a cursor it did not make and a flag that is not true or false', async () => {
    for (const query of [{ cursor: 'bm90LWEtY3Vyc29y' }, { relayed: 'yes' }, { minDurationMs: -1 }] as Record<string, string | number>[]) {
      const { status, body } = await platform.admin<{ code: string }>(`/calls?${qs(query)}`);
      expect([status, body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
  });
});

describe('GET /calls/:id: a paged timeline and quality summarised', () => {
  let id: string;
  // Two days ago: quality samples older than 30 days are the retention job's, which runs throughout.
  // Fixed once: the tests send and look up the same instants, whichever second they run in.
  const base = Math.floor(Date.now() / 1000) * 1000 - 2 * 86_400_000;
  const at = (s: number) => new Date(base + s * 1000).toISOString();

  beforeAll(async () => {
    id = await seed({ caller: 'd-ann', callee: 'd-bob', createdAt: at(0), answeredAfterMs: 2000, durationMs: 60_000 });
    await entry(id, 'invited', at(0), 'd-ann');
    await entry(id, 'accepted', at(2), 'd-bob');
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    await samples(id, [
      ...range(10).map((i) => ({
        actor: 'd-ann',
        receivedAt: at(3 + i),
        sample: { at: at(3 + i), rttMs: 10 * (i + 1), packetLossPct: i, candidateType: 'relay' as const },
      })),
      // From a device that does not carry the call: dropped.
      { actor: 'd-eve', receivedAt: at(5), sample: { at: at(5), rttMs: 1 } },
      ...range(4).map((i) => ({
        actor: 'd-bob',
        receivedAt: at(3 + i),
        sample: { at: at(3 + i), rttMs: 100, framesPerSecond: 30, candidateType: 'host' as const },
      })),
    ]);
    await entry(id, 'hung-up', at(62), 'd-ann');
    // The job's last sample: once it is in, the job has been processed whole.
    await pollUntil(
      () => sampleCount(id, `AND party = 1 AND at = '${at(6)}'`),
      (n) => n === 1,
      'the last sample stored',
    );
    expect(await sampleCount(id)).toBe(14);
  });

  it('keeps samples off the timeline and summarises them per party', async () => {
    const { status, body } = await platform.admin<CallDetailView>(`/calls/${id}`);
    expect(status).toBe(200);
    expect(body.timeline.map((e) => e.type)).toEqual(['invited', 'accepted', 'hung-up']);
    expect(body.nextTimelineSeq).toBeNull();
    expect(body.quality.caller).toEqual({
      samples: 10,
      rttMs: { p50: 55, p95: 95.5 },
      packetLossPct: { p50: 4.5, p95: 8.55 },
      framesPerSecond: { p50: null, p95: null },
      candidateType: 'relay',
    });
    expect(body.quality.callee).toMatchObject({ samples: 4, rttMs: { p50: 100, p95: 100 }, candidateType: 'host' });
  });

  it('pages the timeline by seq', async () => {
    const { body } = await platform.admin<CallDetailView>(`/calls/${id}?limit=2`);
    expect(body.timeline.map((e) => e.type)).toEqual(['invited', 'accepted']);
    const next = await platform.admin<CallDetailView>(`/calls/${id}?limit=2&after=${body.nextTimelineSeq}`);
    expect(next.body.timeline.map((e) => e.type)).toEqual(['hung-up']);
    expect(next.body.nextTimelineSeq).toBeNull();
  });

  it('gives the samples as sent, oldest first, keyset paged, once each however often a job is delivered', async () => {
    // A redelivered sample, then a new one: once the new one is in, the old one was seen again.
    await samples(id, [
      { actor: 'd-ann', receivedAt: at(3), sample: { at: at(3), rttMs: 10, packetLossPct: 0, candidateType: 'relay' } },
      { actor: 'd-bob', receivedAt: at(30), sample: { at: at(30), rttMs: 100 } },
    ]);
    await pollUntil(
      () => sampleCount(id, `AND at = '${at(30)}'`),
      (n) => n === 1,
      'the new sample stored',
    );
    expect(await sampleCount(id)).toBe(15);
    const seen: QualitySamplePage['items'] = [];
    let cursor: string | null = null;
    for (let pages = 0; ; pages += 1) {
      const { status, body }: { status: number; body: QualitySamplePage } = await platform.admin<QualitySamplePage>(
        `/calls/${id}/quality-samples?limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(5);
      seen.push(...body.items);
      cursor = body.nextCursor;
      if (cursor === null) break;
      expect(pages).toBeLessThan(3);
    }
    expect(seen).toHaveLength(15);
    expect(seen.slice(0, 2)).toEqual([
      { party: 'caller', receivedAt: at(3), at: at(3), rttMs: 10, packetLossPct: 0, candidateType: 'relay' },
      { party: 'callee', receivedAt: at(3), at: at(3), rttMs: 100, framesPerSecond: 30, candidateType: 'host' },
    ]);
    expect(seen.map((s) => s.receivedAt)).toEqual([...seen.map((s) => s.receivedAt)].sort());
  });

  it('answers an unknown call and a forged cursor with their codes', async () => {
    const missing = await platform.admin<{ code: string }>(`/calls/${randomUUID()}/quality-samples`);
    expect([missing.status, missing.body.code]).toEqual([404, 'CALL_NOT_FOUND']);
    const forged = await platform.admin<{ code: string }>(`/calls/${id}/quality-samples?cursor=bm90LWEtY3Vyc29y`);
    expect([forged.status, forged.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});

describe('GET /calls/stats', () => {
  const day1 = '2026-04-01';
  const day2 = '2026-04-02';

  beforeAll(async () => {
    const a = await seed({
      caller: 's-ann',
      callee: 's-bob',
      createdAt: `${day1}T08:00:00.000Z`,
      answeredAfterMs: 2000,
      durationMs: 60_000,
      reconnects: 1,
      relayed: true,
      qualitySummary: { caller: { rttMs: 40, packetLossPct: 1 }, callee: { rttMs: 60, packetLossPct: 3 } },
    });
    await seed({ caller: 's-ann', callee: 's-bob', createdAt: `${day1}T09:00:00.000Z`, answeredAfterMs: 4000, durationMs: 120_000 });
    const missed = await seed({ caller: 's-bob', callee: 's-ann', createdAt: `${day1}T10:00:00.000Z`, endReason: 'missed' });
    await seed({ caller: 's-bob', callee: 's-ann', createdAt: `${day2}T10:00:00.000Z`, endReason: 'busy' });
    await entry(a, 'push-attempt', `${day1}T08:00:00.100Z`, 's-bob', { outcome: 'delivered' });
    await entry(missed, 'push-attempt', `${day1}T10:00:00.100Z`, 's-ann', { outcome: 'retrying' });
    await entry(missed, 'push-attempt', `${day1}T10:00:01.100Z`, 's-ann', { outcome: 'failed' });
  });

  it('answers each measure per day, with the range total, the same once its hours are kept', async () => {
    const { status, body } = await platform.admin<CallStats>(`/calls/stats?from=${day1}T00:00:00.000Z&to=${day2}T23:00:00.000Z`);
    expect(status).toBe(200);
    expect(body.buckets.map((b) => b.start)).toEqual([`${day1}T00:00:00.000Z`, `${day2}T00:00:00.000Z`]);
    const { setupMs, durationMs, rttMs, packetLossPct, ...counts } = body.buckets[0]!;
    expect(counts).toEqual({
      start: `${day1}T00:00:00.000Z`,
      calls: 3,
      answered: 2,
      answerRate: 0.6667,
      endReasons: { completed: 2, missed: 1 },
      reconnectsPerCall: 0.3333,
      relayedShare: 0.3333,
      pushes: { attempts: 2, delivered: 1, successRate: 0.5 },
    });
    // Percentiles come from 5 % histogram buckets: within 2.5 % of percentile_cont's.
    const near = (actual: { p50: number | null; p95: number | null }, p50: number, p95: number) => {
      expect(Math.abs(actual.p50! / p50 - 1)).toBeLessThan(0.03);
      expect(Math.abs(actual.p95! / p95 - 1)).toBeLessThan(0.03);
    };
    near(setupMs, 3000, 3900);
    near(durationMs, 90_000, 117_000);
    near(rttMs, 50, 59);
    near(packetLossPct, 2, 2.9);
    expect(body.total).toMatchObject({ start: null, calls: 4, answered: 2, endReasons: { completed: 2, missed: 1, busy: 1 } });
    // The first request kept the range's settled hours; the second reads them and answers the same.
    const kept = await platform.db.query(`SELECT count(*)::int AS n FROM call_stats_hourly WHERE hour >= $1 AND hour < $2`, [
      `${day1}T00:00:00Z`,
      `${day2}T23:00:00Z`,
    ]);
    expect(kept.rows[0].n).toBe(47);
    expect((await platform.admin<CallStats>(`/calls/stats?from=${day1}T00:00:00.000Z&to=${day2}T23:00:00.000Z`)).body).toEqual(body);
    // A range that starts inside an hour counts only that hour's calls from its start.
    const partial = await platform.admin<CallStats>(`/calls/stats?from=${day1}T08:30:00.000Z&to=${day1}T10:30:00.000Z`);
    expect(partial.body.total).toMatchObject({ calls: 2, endReasons: { completed: 1, missed: 1 } });
  });

  it('groups by hour, and refuses a range backwards or too long for its bucket', async () => {
    const { body } = await platform.admin<CallStats>(`/calls/stats?from=${day1}T00:00:00.000Z&to=${day1}T12:00:00.000Z&bucket=hour`);
    expect(body.buckets.map((b) => [b.start, b.calls])).toEqual([
      [`${day1}T08:00:00.000Z`, 1],
      [`${day1}T09:00:00.000Z`, 1],
      [`${day1}T10:00:00.000Z`, 1],
    ]);
    for (const query of [`from=${day2}T00:00:00Z&to=${day1}T00:00:00Z`, `from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&bucket=hour`]) {
      const { status, body: error } = await platform.admin<{ code: string }>(`/calls/stats?${query}`);
      expect([status, error.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
  });
});

describe('GET /calls/export', () => {
  const from = '2026-05-01T00:00:00.000Z';
  const to = '2026-05-02T00:00:00.000Z';

  beforeAll(async () => {
    // More than one export page (1000 rows), so the stream crosses a keyset step.
    await platform.db.query(
      `INSERT INTO calls (id, state, end_reason, media, caller_id, caller_device_id, caller_name, callee_id, created_at, ended_at, ring_deadline, duration_ms, last_seq)
       SELECT gen_random_uuid(), 'ended', CASE WHEN i % 10 = 0 THEN 'missed' ELSE 'completed' END, 'audio', 'x-ann', 'x-ann-phone',
              'Ann, "the first"', 'x-bob', $1::timestamptz + i * interval '1 s', $1::timestamptz + i * interval '1 s', $1::timestamptz, 0, 0
       FROM generate_series(1, 1205) i`,
      [from],
    );
  });

  it('streams every matching call as NDJSON, newest first', async () => {
    const res = await fetch(`${platform.calls.url}/calls/export?${qs({ from, to, format: 'ndjson' })}`, {
      headers: { authorization: `Bearer ${platform.adminToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const rows = (await res.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AdminCallView);
    expect(rows).toHaveLength(1205);
    expect(new Set(rows.map((r) => r.id)).size).toBe(1205);
    expect(rows.every((r, i) => i === 0 || r.createdAt < rows[i - 1]!.createdAt)).toBe(true);
  });

  it('streams CSV with the list filters, quoting what needs it', async () => {
    const res = await fetch(`${platform.calls.url}/calls/export?${qs({ from, to, endReason: 'missed', format: 'csv' })}`, {
      headers: { authorization: `Bearer ${platform.adminToken}` },
    });
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'id,createdAt,state,endReason,media,callerId,callerDeviceId,callerName,calleeId,answeredDeviceId,ringingAt,answeredAt,endedAt,durationMs,reconnects,relayed',
    );
    expect(lines).toHaveLength(1 + 120);
    expect(lines[1]).toMatch(
      /^[0-9a-f-]{36},2026-05-01T00:20:00\.000Z,ended,missed,audio,x-ann,x-ann-phone,"Ann, ""the first""",x-bob,,,,2026-05-01T00:20:00\.000Z,0,0,false$/,
    );
  });
});

describe('POST /calls/:id/end', () => {
  it('ends a stuck call through the state machine: both parties hear call:ended, the reason is on the timeline', async () => {
    const { caller, callee, callId } = await ringing('e');

    const ended = await post(`/calls/${callId}/end`, { reason: 'stuck ringing after an incident' });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ id: callId, state: 'ended', endReason: 'ended-by-admin' });
    expect(await caller.next('call:ended', (p) => p.callId === callId)).toMatchObject({ reason: 'ended-by-admin' });
    expect(await callee.next('call:ended', (p) => p.callId === callId)).toMatchObject({ reason: 'ended-by-admin' });
    const { body } = await platform.admin<CallDetailView>(`/calls/${callId}`);
    expect(body.timeline.at(-1)).toMatchObject({ type: 'ended-by-admin', data: { reason: 'stuck ringing after an incident' } });

    expect(await post(`/calls/${callId}/end`, { reason: 'again' })).toMatchObject({ status: 409, body: { code: 'CALL_ALREADY_ENDED' } });
    expect(await post(`/calls/${randomUUID()}/end`, { reason: 'x' })).toMatchObject({ status: 404, body: { code: 'CALL_NOT_FOUND' } });
    expect(await post(`/calls/${callId}/end`, {})).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(await post(`/calls/${callId}/end`, { reason: 'x' }, 'not-the-token')).toMatchObject({ status: 401 });
    caller.close();
    callee.close();
  });
});

describe('reconnects and relay are kept by the writers', () => {
  it('counts each resume, and marks a call relayed from a final quality summary', async () => {
    const { caller, callee, callId } = await ringing('r');
    await callee.must('call:accept', { callId });

    const resume = () =>
      fetch(`${platform.calls.url}/internal/calls/${callId}/resume`, {
        method: 'POST',
        headers: { [INTERNAL_TOKEN_HEADER]: INTERNAL, 'content-type': 'application/json' },
        body: JSON.stringify({ actor: { userId: 'r-bob', deviceId: callee.deviceId } }),
      });
    expect((await resume()).status).toBe(200);
    expect((await resume()).status).toBe(200);
    const sample = { at: new Date().toISOString(), rttMs: 80, candidateType: 'relay' as const };
    expect(await caller.send('call:quality', { callId, sample, final: true })).toMatchObject({ ok: true });
    await pollUntil(
      () => list({ userId: 'r-ann', relayed: true, hadReconnects: true }),
      ({ items }) => items.some((c) => c.id === callId),
      'the call listed as relayed and reconnected',
    );
    const [call] = (await list({ userId: 'r-ann' })).items;
    expect(call).toMatchObject({ id: callId, reconnects: 2, relayed: true });
    await caller.must('call:hangup', { callId });
    caller.close();
    callee.close();
  });
});

describe("GET /me/calls: the user's own Recents", () => {
  it("shows the signed-in user's calls, and only what a party may see of them", async () => {
    const base = '2026-06-01T10:00:00.000Z';
    const later = (minutes: number) => new Date(Date.parse(base) + minutes * 60_000).toISOString();
    const out = await seed({ caller: 'm-ann', callee: 'm-bob', createdAt: later(0), answeredAfterMs: 1000, durationMs: 9000 });
    const incoming = await seed({ caller: 'm-cid', callee: 'm-ann', createdAt: later(1), endReason: 'missed' });
    await seed({ caller: 'm-bob', callee: 'm-cid', createdAt: later(2) }); // not Ann's
    const token = await platform.token('m-ann');
    const get = async (query = '') => {
      const res = await fetch(`${platform.calls.url}/me/calls${query}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as RecentCallPage;
    };
    const first = await get('?limit=1');
    expect(first.items).toEqual([
      {
        id: incoming,
        peerId: 'm-cid',
        peerName: null,
        direction: 'incoming',
        media: 'video',
        state: 'ended',
        endReason: 'missed',
        createdAt: later(1),
        answeredAt: null,
        endedAt: expect.any(String),
        durationMs: 0,
      },
    ]);
    const second = await get(`?limit=1&cursor=${first.nextCursor}`);
    expect(second.items.map((c) => [c.id, c.direction, c.peerId])).toEqual([[out, 'outgoing', 'm-bob']]);
    expect(second.nextCursor).toBeNull();

    const anonymous = await fetch(`${platform.calls.url}/me/calls`);
    expect(anonymous.status).toBe(401);
    // The admin token is not a user's.
    const admin = await fetch(`${platform.calls.url}/me/calls`, { headers: { authorization: `Bearer ${platform.adminToken}` } });
    expect(admin.status).toBe(401);
  });
});

describe('retention', () => {
  it('deletes quality samples past 30 days and ended calls past a year, in batches, and nothing younger or open', async () => {
    const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
    const old = await Promise.all([1, 2, 3, 4, 5].map(() => seed({ caller: 'o-ann', callee: 'o-bob', createdAt: daysAgo(400) })));
    const openOld = await seed({ caller: 'o-cid', callee: 'o-dan', createdAt: daysAgo(400), state: 'active', answeredAfterMs: 1000 });
    const kept = await seed({ caller: 'o-ann', callee: 'o-bob', createdAt: daysAgo(60) });
    await entry(old[0]!, 'invited', daysAgo(400), 'o-ann');
    const sample = (receivedAt: string) => ({ actor: 'o-ann', receivedAt, sample: { at: receivedAt, rttMs: 50 } });
    await samples(kept, [...[45, 44, 43, 42, 41].map((d) => sample(daysAgo(d))), sample(daysAgo(10))]);
    await entry(kept, 'hung-up', daysAgo(45), 'o-ann');

    const count = async (sql: string, params: unknown[]) => Number((await platform.db.query(sql, params)).rows[0].n);
    await pollUntil(
      async () => [
        await count(`SELECT count(*) AS n FROM calls WHERE id = ANY($1)`, [old]),
        // The recent sample is the job's last: once it is in, the old ones were written before it.
        Number(
          (
            await platform.db.query(
              `SELECT count(*) FILTER (WHERE at > now() - interval '30 days') AS n FROM call_quality_samples WHERE call_id = $1`,
              [kept],
            )
          ).rows[0].n,
        ),
        await sampleCount(kept),
      ],
      ([oldCalls, recent, all]) => oldCalls === 0 && recent === 1 && all === 1,
      'old calls and samples deleted',
    );
    expect(await count(`SELECT count(*) AS n FROM call_timeline WHERE call_id = ANY($1)`, [old])).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM calls WHERE id = ANY($1)`, [[openOld, kept]])).toBe(2);
    expect(await count(`SELECT count(*) AS n FROM call_timeline WHERE call_id = $1 AND type = 'hung-up'`, [kept])).toBe(1);
  });
});

describe('npm run call:inspect', () => {
  it('tells the story of one call from the admin API', async () => {
    // Recent: retention would take older quality samples while the test reads them.
    const base = Math.floor(Date.now() / 1000) * 1000 - 86_400_000;
    const at = (ms: number) => new Date(base + ms).toISOString();
    const id = await seed({ caller: 'i-ann', callee: 'i-bob', createdAt: at(0), answeredAfterMs: 2000, durationMs: 61_000, reconnects: 1 });
    await entry(id, 'invited', at(0), 'i-ann', { media: 'video', calleeId: 'i-bob' });
    const push = { kind: 'voip', attempt: 1, outcome: 'delivered', status: 200, apnsId: 'APNS-1', latencyMs: 120 };
    await entry(id, 'push-attempt', at(150), 'i-bob', push);
    await entry(id, 'accepted', at(2000), 'i-bob');
    await entry(id, 'ice-state', at(2500), 'i-ann', { state: 'connected' });
    await entry(id, 'ice-restart', at(9000), 'i-bob', { bytes: 900 });
    await entry(id, 'disconnected', at(10_000), 'i-bob');
    await entry(id, 'resumed', at(14_000), 'i-bob', { awayMs: 4000 });
    await samples(id, [{ actor: 'i-ann', receivedAt: at(20_000), sample: { at: at(20_000), rttMs: 42, candidateType: 'relay' } }]);
    await entry(id, 'hung-up', at(63_000), 'i-ann');
    await pollUntil(
      () => sampleCount(id),
      (n) => n === 1,
      'the sample stored',
    );
    const { stdout } = await promisify(execFile)('node', ['tools/call-inspect.mjs', '--', id], {
      env: { ...process.env, CALLS_URL: platform.calls.url, ADMIN_TOKEN: platform.adminToken },
    });
    expect(stdout).toContain(`Call ${id}: video, ended, ended completed`);
    expect(stdout).toContain('callee   i-bob, answered on i-bob-phone');
    expect(stdout).toContain('voip push to callee (i-bob-phone), attempt 1: delivered (APNs 200, apns-id APNS-1, 120 ms)');
    expect(stdout).toContain('caller: connected');
    expect(stdout).toContain('ICE: 1 restart(s)');
    expect(stdout).toContain('callee back after 4.0 s');
    expect(stdout).toContain('caller: 1 samples, RTT ms p50 42 / p95 42');
    expect(stdout).toContain('callee: no samples');

    const missing = promisify(execFile)('node', ['tools/call-inspect.mjs', randomUUID()], {
      env: { ...process.env, CALLS_URL: platform.calls.url, ADMIN_TOKEN: platform.adminToken },
    });
    await expect(missing).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('404 CALL_NOT_FOUND') });
  });
});
