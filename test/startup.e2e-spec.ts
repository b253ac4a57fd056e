import { afterAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { TEST_POSTGRES_URL, TEST_REDIS_URL, deleteRedisKeys, freePort, testRedisPrefix } from '#testing';
import { isCurrent, writeStamp } from '../tools/build-fingerprint.js';
import { compilerInputs } from '../tools/launcher.js';
import { portFree } from '../tools/start-preflight.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** A clean environment: nothing of the developer's (or jest's NODE_OPTIONS) leaks into the start. */
const BASE_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };

/** A process whose output can be awaited line by line, and whose exit can be awaited. */
class Watched {
  output = '';
  readonly exit: Promise<number | null>;
  private readonly waiters: { pattern: RegExp; resolve: () => void }[] = [];

  constructor(readonly child: ChildProcess) {
    const take = (c: Buffer) => {
      this.output += c.toString();
      for (const w of this.waiters.filter((w) => w.pattern.test(this.output))) w.resolve();
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Resolves when the output matches, or rejects with the output so far if the process ends first. */
  waitFor(pattern: RegExp): Promise<void> {
    if (pattern.test(this.output)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ pattern, resolve });
      void this.exit.then(() => reject(new Error(`exited without ${pattern}:\n${this.output}`)));
    });
  }
}

function launch(command: 'npm' | 'node', env: Record<string, string>): Watched {
  const args = command === 'npm' ? ['start'] : [`${ROOT}tools/start.mjs`, 'start'];
  return new Watched(spawn(command, args, { cwd: ROOT, env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Runs a built entry point to its end and returns how it ended and what it said. */
async function run(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const process = new Watched(spawn(globalThis.process.execPath, [`${ROOT}dist/${script}`], { env: { ...BASE_ENV, ...env } }));
  const timer = setTimeout(() => process.child.kill('SIGKILL'), 20_000);
  const code = await process.exit;
  clearTimeout(timer);
  return { code, output: process.output };
}

/** Free ports for every app, a database of its own and a Redis prefix of its own. */
const databases: string[] = [];
const prefixes: string[] = [];
async function platformEnv(): Promise<Record<string, string>> {
  const name = `vc_test_start_${randomBytes(4).toString('hex')}`;
  databases.push(name);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    DATABASE_URL: url.toString(),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefixes[prefixes.push(testRedisPrefix()) - 1]!,
    GATEWAY_PORT: String(await freePort()),
    CALLS_PORT: String(await freePort()),
    NOTIFIER_PORT: String(await freePort()),
    APNS_SANDBOX_PORT: String(await freePort()),
  };
}
const portsIn = (env: Record<string, string>) =>
  ['GATEWAY_PORT', 'CALLS_PORT', 'NOTIFIER_PORT', 'APNS_SANDBOX_PORT'].map((k) => Number(env[k]));

afterAll(async () => {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await admin.end();
  for (const prefix of prefixes) await deleteRedisKeys(prefix);
});

describe('npm start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'prints one ready block once every app is healthy, and %s to npm alone stops every app and frees its ports',
    async (signal) => {
      const env = await platformEnv();
      const npm = launch('npm', env);
      await npm.waitFor(/platform ready/);
      // At the moment the block appears, every app answers its health check.
      for (const port of portsIn(env).slice(0, 3)) expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      expect(npm.output).toMatch(/build: nothing changed since the last build/);
      expect(npm.output).toMatch(new RegExp(`admin API +http://127.0.0.1:${env.CALLS_PORT}/calls +Authorization: Bearer [0-9a-f]{48}`));
      expect(npm.output).toMatch(new RegExp(`web client +http://localhost:${env.GATEWAY_PORT}/\\?user=alice`));

      npm.child.kill(signal);
      await npm.exit;
      // npm exits after its script, which exits after every app: nothing may hold a port now.
      expect(await Promise.all(portsIn(env).map((port) => portFree(port)))).toEqual([true, true, true, true]);
      expect(npm.output.match(/platform ready/g)).toHaveLength(1);
      expect(npm.output).not.toMatch(/\x1b\[/); // not a terminal: no colour codes
    },
    90_000,
  );

  it('prints no ready block when an app fails, names it, stops the others and exits non-zero', async () => {
    const env = await platformEnv();
    const start = launch('node', { ...env, CALLS_REQUEST_TIMEOUT_MS: 'soon' });
    expect(await start.exit).toBe(1);
    expect(start.output).toMatch(/not started: the gateway exited \(code 1\) before it was ready/);
    expect(start.output).not.toMatch(/platform ready/);
    expect(await Promise.all(portsIn(env).map((port) => portFree(port)))).toEqual([true, true, true, true]);
  }, 90_000);

  it('names the variable behind a busy port, before building anything', async () => {
    const env = await platformEnv();
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(Number(env.CALLS_PORT), '127.0.0.1', resolve));
    try {
      const start = launch('node', env);
      expect(await start.exit).toBe(1);
      expect(start.output).toMatch(new RegExp(`port ${env.CALLS_PORT} \\(CALLS_PORT\\) is in use`));
      expect(start.output).not.toMatch(/build:/);
    } finally {
      busy.close();
    }
  });

  it('refuses a PORT that contradicts GATEWAY_PORT rather than ignoring it', async () => {
    const start = launch('node', { PORT: '4000', GATEWAY_PORT: '4001' });
    expect(await start.exit).toBe(1);
    expect(start.output).toMatch(/PORT: is the gateway's port under npm start, and GATEWAY_PORT says 4001/);
  });

  it('says when PostgreSQL cannot be reached, and how to start it on Debian, macOS or Docker', async () => {
    const port = await freePort();
    const start = launch('node', { ...(await platformEnv()), DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x` });
    expect(await start.exit).toBe(1);
    expect(start.output).toMatch(new RegExp(`PostgreSQL is not reachable at 127\\.0\\.0\\.1:${port}`));
    expect(start.output).toMatch(/Debian: .*pg_ctlcluster/);
    expect(start.output).toMatch(/macOS: .*brew services start postgresql/);
    expect(start.output).toMatch(new RegExp(`Docker: .*-p ${port}:5432`));
  });

  it('says when Redis cannot be reached at the address the user gave, and how to start it there', async () => {
    const port = await freePort();
    const start = launch('node', { ...(await platformEnv()), REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(await start.exit).toBe(1);
    expect(start.output).toMatch(new RegExp(`Redis is not reachable at 127\\.0\\.0\\.1:${port}`));
    expect(start.output).toMatch(new RegExp(`Debian: .*redis-server --daemonize yes .*--port ${port}`));
    expect(start.output).toMatch(new RegExp(`Docker: .*-p ${port}:6379 redis:7`));
    expect(start.output).not.toMatch(/6379 --save/);
  });

  it('explains a PostgreSQL role that does not exist, without a stack trace', async () => {
    const url = new URL(TEST_POSTGRES_URL);
    url.username = 'no_such_role_vc';
    const start = launch('node', { ...(await platformEnv()), DATABASE_URL: url.toString() });
    expect(await start.exit).toBe(1);
    expect(start.output).toMatch(/has no role "no_such_role_vc".*\n.*createuser/);
    expect(start.output).not.toMatch(/^\s+at /m);
  });
});

describe('deciding whether npm start builds', () => {
  const project = () => {
    const root = `${mkdtempSync(`${tmpdir()}/vc-build-`)}/`;
    mkdirSync(`${root}apps/calls/src`, { recursive: true });
    mkdirSync(`${root}apps/calls/test`, { recursive: true });
    writeFileSync(`${root}apps/calls/src/main.ts`, 'export {};');
    writeFileSync(`${root}apps/calls/src/main.spec.ts`, 'export {};');
    writeFileSync(`${root}apps/calls/test/x.ts`, 'export {};');
    mkdirSync(`${root}apps/web-client/public`, { recursive: true });
    writeFileSync(`${root}apps/web-client/public/index.html`, '<p>old</p>');
    writeFileSync(`${root}tsconfig.json`, '{}');
    return root;
  };
  const built = (root: string) => (writeStamp(root, `${root}stamp.json`, compilerInputs(root)), root);
  const current = (root: string) => isCurrent(root, `${root}stamp.json`, compilerInputs(root));

  it('skips when nothing changed since the last build, and builds when there was none', () => {
    const root = project();
    expect(current(root)).toBe(false);
    expect(current(built(root))).toBe(true);
  });

  it.each([
    ['a source file is edited', (root: string) => writeFileSync(`${root}apps/calls/src/main.ts`, 'export const x = 1;')],
    ['a source file is added', (root: string) => writeFileSync(`${root}apps/calls/src/other.ts`, 'export {};')],
    ['the compiler configuration changes', (root: string) => writeFileSync(`${root}tsconfig.json`, '{ "x": 1 }')],
    ['a web client page changes', (root: string) => writeFileSync(`${root}apps/web-client/public/index.html`, '<p>new</p>')],
  ])('builds when %s', (_, change) => {
    const root = built(project());
    change(root);
    expect(current(root)).toBe(false);
  });

  it('ignores specs and app e2e suites, which the build does not compile', () => {
    const root = built(project());
    writeFileSync(`${root}apps/calls/src/main.spec.ts`, 'export const changed = 1;');
    writeFileSync(`${root}apps/calls/test/x.ts`, 'export const changed = 1;');
    expect(current(root)).toBe(true);
  });
});

describe('starting an app on its own', () => {
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
