import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CALL_MILESTONES_QUEUE, PUSH_QUEUE, PUSH_REPORTS_QUEUE } from '#contracts';
import { Platform } from '#testing';

// Bull Board on the calls app: operators see the queues, nobody else does.
let platform: Platform;
let board: string;

beforeAll(async () => {
  platform = await Platform.start({ gateways: 1 });
  board = `${platform.calls.url}/admin/queues`;
}, 60_000);
afterAll(async () => platform?.stop());

const basic = (password: string) => `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`;

describe('the queue board', () => {
  it('asks a browser for the admin token, and refuses a wrong one', async () => {
    const anonymous = await fetch(board);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await anonymous.json()).toMatchObject({ code: 'UNAUTHORIZED' });

    const wrong = await fetch(`${board}/api/queues`, { headers: { authorization: basic('not-the-token') } });
    expect(wrong.status).toBe(401);
  });

  it('shows the page and every queue of the calls app to the admin, by Basic or bearer', async () => {
    const page = await fetch(board, { headers: { authorization: basic(platform.adminToken) } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);

    const api = await fetch(`${board}/api/queues?activeQueue=${PUSH_QUEUE}`, {
      headers: { authorization: `Bearer ${platform.adminToken}` },
    });
    expect(api.status).toBe(200);
    const { queues } = (await api.json()) as { queues: { name: string }[] };
    expect(queues.map((q) => q.name).sort()).toEqual([CALL_MILESTONES_QUEUE, PUSH_QUEUE, PUSH_REPORTS_QUEUE].sort());
  });
});
