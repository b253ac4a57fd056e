/**
 * `npm start`: the whole platform on one machine for development. Checks that Postgres and Redis
 * answer (and says how to start them when they don't), creates and migrates the database, then runs
 * the calls app, the gateway and the notifier as separate processes, exactly as they run in production.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { ConfigError, DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, HOW_TO_START, env, explainStartupError, loadConfig } from '#infra';
import { migrate } from '../apps/calls/src/database/migrate.js';

const StartConfig = z.object({
  DATABASE_URL: env.url(['postgres', 'postgresql'], DEFAULT_DATABASE_URL),
  REDIS_URL: env.url(['redis', 'rediss'], DEFAULT_REDIS_URL),
  GATEWAY_PORT: env.port(3000),
  CALLS_PORT: env.port(3001),
  NOTIFIER_PORT: env.port(3002),
  APNS_SANDBOX_PORT: env.port(8443),
  /** Set (with APNS_KEY_ID and APNS_TEAM_ID) to push through Apple; unset, pushes go to the APNs sandbox. */
  APNS_KEY_FILE: z.string().min(1).optional(),
});

const dist = fileURLToPath(new URL('../', import.meta.url));
const secret = () => randomBytes(24).toString('hex');

class Unreachable extends Error {}

const describe = (error: unknown) => (error instanceof Error ? error.message || error.constructor.name : String(error));
const hostOf = (url: string) => new URL(url).host;

async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Unreachable(`Redis is not reachable at ${hostOf(url)} (${describe(error)}); ${HOW_TO_START.redis}.`);
  } finally {
    redis.disconnect();
  }
}

async function migrateDatabase(url: string): Promise<string[]> {
  try {
    return await migrate(url);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || error instanceof AggregateError)
      throw new Unreachable(`PostgreSQL is not reachable at ${hostOf(url)} (${describe(error)}); ${HOW_TO_START.postgres}.`);
    throw error;
  }
}

function run(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [`${dist}${script}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream: NodeJS.WritableStream) => (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .forEach((line) => stream.write(`${name.padEnd(8)}| ${line}\n`));
  child.stdout?.on('data', prefix(process.stdout));
  child.stderr?.on('data', prefix(process.stderr));
  return child;
}

/**
 * Without an APNs key, pushes go to our APNs sandbox: a throwaway provider key, the sandbox trusting
 * it, and the notifier trusting the sandbox's self-signed certificate.
 */
async function startApnsSandbox(port: number): Promise<{ child: ChildProcess; notifierEnv: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'vc-apns-sandbox-'));
  const keyFile = join(dir, 'AuthKey_SANDBOX001.p8');
  const caFile = join(dir, 'ca.pem');
  writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const ids = { APNS_KEY_ID: 'SANDBOX001', APNS_TEAM_ID: 'SANDBOXTM1' };
  const child = run('apns', 'apps/apns-sandbox/src/main.js', {
    ...process.env,
    ...ids,
    APNS_SANDBOX_PORT: String(port),
    APNS_SANDBOX_PUBLIC_KEY_FILE: keyFile,
    APNS_SANDBOX_CA_FILE: caFile,
  });
  for (let waited = 0; !existsSync(caFile); waited += 50) {
    if (waited > 10_000 || child.exitCode !== null) throw new Error('the APNs sandbox did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(`no APNS_KEY_FILE: VoIP pushes go to the APNs sandbox at https://127.0.0.1:${port} (requests: GET /sandbox/requests)`);
  return { child, notifierEnv: { ...ids, APNS_KEY_FILE: keyFile, APNS_ENDPOINT: `https://127.0.0.1:${port}`, APNS_CA_FILE: caFile } };
}

async function main(): Promise<void> {
  const config = loadConfig(StartConfig);
  await checkRedis(config.REDIS_URL);
  const applied = await migrateDatabase(config.DATABASE_URL);
  console.log(applied.length ? `database migrated: ${applied.join(', ')}` : 'database schema is up to date');

  // Per-run development secrets unless the environment provides them.
  const shared = {
    ...process.env,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    DATABASE_URL: config.DATABASE_URL,
    REDIS_URL: config.REDIS_URL,
    INTERNAL_API_TOKEN: process.env.INTERNAL_API_TOKEN ?? secret(),
    ADMIN_API_TOKEN: process.env.ADMIN_API_TOKEN ?? secret(),
    AUTH_JWT_SECRET: process.env.AUTH_JWT_SECRET ?? secret(),
  };
  const sandbox = config.APNS_KEY_FILE ? null : await startApnsSandbox(config.APNS_SANDBOX_PORT);
  const callsUrl = `http://127.0.0.1:${config.CALLS_PORT}`;
  const gatewayEnv = {
    ...shared,
    PORT: String(config.GATEWAY_PORT),
    CALLS_URL: callsUrl,
    RESUME_TOKEN_SECRET: process.env.RESUME_TOKEN_SECRET ?? secret(),
    ...(shared.NODE_ENV === 'production' ? {} : { WEB_CLIENT_DIR: `${dist}web-client` }),
    DEV_TOKENS: process.env.DEV_TOKENS ?? (shared.NODE_ENV === 'production' ? 'false' : 'true'),
  };
  const children = [
    run('calls', 'apps/calls/src/main.js', { ...shared, PORT: String(config.CALLS_PORT) }),
    run('gateway', 'apps/gateway/src/main.js', gatewayEnv),
    run('notifier', 'apps/notifier/src/main.js', { ...shared, ...sandbox?.notifierEnv, PORT: String(config.NOTIFIER_PORT) }),
    ...(sandbox ? [sandbox.child] : []),
  ];
  console.log(
    [
      ...(shared.NODE_ENV === 'production'
        ? []
        : [`web client http://localhost:${config.GATEWAY_PORT}/?user=alice  (and ?user=bob in a second tab)`]),
      `gateway   ws://127.0.0.1:${config.GATEWAY_PORT}/signaling/v1   (demo token: curl -XPOST -H 'content-type: application/json' -d '{"userId":"alice"}' http://127.0.0.1:${config.GATEWAY_PORT}/dev/tokens)`,
      `calls     ${callsUrl}   (admin API: Authorization: Bearer ${shared.ADMIN_API_TOKEN}; OpenAPI at /docs)`,
      `notifier  http://127.0.0.1:${config.NOTIFIER_PORT}/health`,
    ].join('\n'),
  );

  let stopping = false;
  const stopAll = (code: number) => {
    if (stopping) return;
    stopping = true;
    children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
    Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null))).then(() => process.exit(code));
  };
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));
  // One app down means the platform is down: stop the rest rather than half-run.
  children.forEach((c) =>
    c.once('exit', (code) => !stopping && (console.error(`an app exited (${code}); stopping the platform`), stopAll(1))),
  );
}

main().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof Unreachable;
  console.error(known ? error.message : `cannot start the platform: ${explainStartupError(error)}`);
  process.exit(1);
});
