import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { TEST_POSTGRES_URL, freePort } from '#testing';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Runs a built entry point to its end and returns how it ended and what it said. */
function run(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [`${ROOT}dist/${script}`], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

describe('starting the platform', () => {
  it('says when PostgreSQL cannot be reached, and how to start it', async () => {
    const { code, output } = await run('tools/start.js', { DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/x` });
    expect(code).toBe(1);
    expect(output).toMatch(/PostgreSQL is not reachable at 127\.0\.0\.1:\d+ .*pg_ctlcluster/);
  });

  it('says when Redis cannot be reached, and how to start it', async () => {
    const { code, output } = await run('tools/start.js', { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(code).toBe(1);
    expect(output).toMatch(/Redis is not reachable at 127\.0\.0\.1:\d+ .*redis-server --daemonize yes/);
  });

  it.each([
    ['gateway', 'apps/gateway/src/main.js', {}, /INTERNAL_API_TOKEN: .*\(not set\)/],
    [
      'calls',
      'apps/calls/src/main.js',
      { INTERNAL_API_TOKEN: 'x'.repeat(20), ADMIN_API_TOKEN: 'y'.repeat(20), RING_TIMEOUT_MS: 'soon' },
      /RING_TIMEOUT_MS:/,
    ],
    ['notifier', 'apps/notifier/src/main.js', { APNS_KEY_ID: 'short' }, /APNS_KEY_ID: must be the 10-character key id/],
  ] as const)('stops the %s on a bad or missing variable, naming it', async (_, script, env, message) => {
    const { code, output } = await run(script, { ...env, PORT: String(await freePort()) });
    expect(code).toBe(1);
    expect(output).toMatch(message);
  });

  it('creates the database when it is missing, and migrates it once', async () => {
    const name = `vc_test_created_${randomBytes(4).toString('hex')}`;
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = `/${name}`;
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    try {
      const first = await run('apps/calls/src/database/migrate.js', { DATABASE_URL: url.toString() });
      expect(first).toMatchObject({ code: 0, output: expect.stringMatching(/migrations applied: CreateCalls/) });
      expect((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount).toBe(1);
      const again = await run('apps/calls/src/database/migrate.js', { DATABASE_URL: url.toString() });
      expect(again).toMatchObject({ code: 0, output: expect.stringMatching(/schema is up to date/) });
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      await admin.end();
    }
  });
});
