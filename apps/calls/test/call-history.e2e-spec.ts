import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { CallDetailView, CallPage } from '#contracts';
import { Platform } from '#testing';

/**
 * The admin history as an operator reads it: each filter, alone and combined, newest first, bounded
 * with `to`. The calls are written straight into the database: this is about reading history,
 * and a history of failed and connection-lost calls would take minutes of real timeouts to make.
 */
let platform: Platform;
const t0 = Date.parse('2026-01-10T12:00:00.000Z');
const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();

interface Seeded {
  id: string;
  caller: string;
  callee: string;
  state: 'initiated' | 'ringing' | 'active' | 'ended';
  endReason: string | null;
  minute: number;
}
const calls: Seeded[] = [];

function call(caller: string, callee: string, minute: number, state: Seeded['state'], endReason: string | null = null): Seeded {
  const seeded = { id: randomUUID(), caller, callee, state, endReason, minute };
  calls.push(seeded);
  return seeded;
}

/** Ids of the seeded calls that pass `keep`, newest first: what the API must answer. */
const expected = (keep: (c: Seeded) => boolean) =>
  calls
    .filter(keep)
    .sort((a, b) => b.minute - a.minute)
    .map((c) => c.id);

const party = (user: string) => (c: Seeded) => c.caller === user || c.callee === user;

async function list(query: Record<string, string | number>): Promise<string[]> {
  const { status, body } = await platform.admin<CallPage>(
    `/calls?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`,
  );
  expect(status).toBe(200);
  return body.items.map((c) => c.id);
}

beforeAll(async () => {
  platform = await Platform.start({ notifier: false });
  call('ann', 'bob', 0, 'ended', 'completed');
  call('bob', 'ann', 1, 'ended', 'failed');
  call('cid', 'ann', 2, 'ended', 'missed');
  call('ann', 'cid', 3, 'ended', 'connection-lost');
  call('bob', 'cid', 4, 'ended', 'failed');
  call('cid', 'bob', 5, 'ended', 'completed');
  call('ann', 'dan', 6, 'active');
  call('dan', 'bob', 7, 'ringing');
  for (const c of calls) {
    const ended = c.state === 'ended';
    await platform.db.query(
      `INSERT INTO calls (id, state, end_reason, media, caller_id, caller_device_id, callee_id, created_at, ended_at, ring_deadline, duration_ms)
       VALUES ($1, $2, $3, 'video', $4::varchar, $4::varchar || '-phone', $5, $6, $7, $8, $9)`,
      // Open calls ring until far ahead, so the deadline check leaves them as seeded.
      [
        c.id,
        c.state,
        c.endReason,
        c.caller,
        c.callee,
        at(c.minute),
        ended ? at(c.minute + 1) : null,
        ended ? at(c.minute) : '2100-01-01T00:00:00Z',
        ended ? 0 : null,
      ],
    );
  }
  const first = calls[0]!;
  for (const [seq, type] of [
    [2, 'ringing'],
    [1, 'invited'],
    [3, 'accepted'],
  ] as const)
    await platform.db.query(`INSERT INTO call_timeline (call_id, seq, type, at, actor_user_id) VALUES ($1, $2, $3, $4, 'ann')`, [
      first.id,
      seq,
      type,
      at(seq / 10),
    ]);
}, 60_000);
afterAll(async () => platform?.stop());

describe('the admin call history', () => {
  it('lists every call newest first, and bounds the range with to', async () => {
    expect(await list({})).toEqual(expected(() => true));
    const firstPage = await list({ limit: 3 });
    expect(firstPage).toEqual(expected(() => true).slice(0, 3));
    const oldest = calls.find((c) => c.id === firstPage[2])!;
    expect(await list({ limit: 3, to: at(oldest.minute) })).toEqual(expected(() => true).slice(3, 6));
  });

  it("lists a user's calls, as caller and as callee, merged newest first", async () => {
    expect(await list({ userId: 'ann' })).toEqual(expected(party('ann')));
    expect(await list({ userId: 'ann', limit: 2 })).toEqual(expected(party('ann')).slice(0, 2));
    expect(await list({ userId: 'ann', to: at(3) })).toEqual(expected((c) => party('ann')(c) && c.minute < 3));
    expect(await list({ userId: 'nobody' })).toEqual([]);
  });

  it('filters by state and by end reason, rare ones included, alone and combined', async () => {
    expect(await list({ state: 'ringing' })).toEqual(expected((c) => c.state === 'ringing'));
    expect(await list({ state: 'active' })).toEqual(expected((c) => c.state === 'active'));
    expect(await list({ state: 'ended' })).toEqual(expected((c) => c.state === 'ended'));
    expect(await list({ endReason: 'failed' })).toEqual(expected((c) => c.endReason === 'failed'));
    expect(await list({ endReason: 'busy' })).toEqual([]);
    expect(await list({ userId: 'bob', endReason: 'failed' })).toEqual(expected((c) => party('bob')(c) && c.endReason === 'failed'));
    expect(await list({ userId: 'cid', endReason: 'failed', to: at(4) })).toEqual([]);
    expect(await list({ userId: 'bob', state: 'ringing' })).toEqual(expected((c) => party('bob')(c) && c.state === 'ringing'));
    expect(await list({ state: 'ended', endReason: 'completed' })).toEqual(expected((c) => c.endReason === 'completed'));
    expect(await list({ state: 'ringing', endReason: 'completed' })).toEqual([]);
  });

  it('shows one call with its timeline in order, and says when there is no such call', async () => {
    const first = calls[0]!;
    const { status, body } = await platform.admin<CallDetailView>(`/calls/${first.id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: first.id,
      state: 'ended',
      endReason: 'completed',
      callerId: 'ann',
      calleeId: 'bob',
      createdAt: at(0),
    });
    expect(body.timeline.map((e) => [e.seq, e.type, e.at, e.actorUserId])).toEqual([
      [1, 'invited', at(0.1), 'ann'],
      [2, 'ringing', at(0.2), 'ann'],
      [3, 'accepted', at(0.3), 'ann'],
    ]);
    const missing = await platform.admin<{ code: string }>(`/calls/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'CALL_NOT_FOUND' });
  });
});
