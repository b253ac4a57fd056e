/**
 * The platform on one machine for development, once tools/launcher.ts has checked its dependencies
 * and built it: migrates the database, runs the calls app, the gateway and the notifier as separate
 * processes (as in production), and prints one "ready" block when every app answers its health check.
 */
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { colorsWanted, explainStartupError } from '#infra';
import { migrate } from '../apps/calls/src/database/migrate.js';
import type { StartConfig } from './start-config.js';
import type { Supervisor } from './supervisor.js';

const dist = fileURLToPath(new URL('../', import.meta.url));
/** Generous for a cold 2-core machine; an app that is not healthy by then is reported, not waited on. */
const READY_TIMEOUT_MS = 90_000;
const HEALTH_POLL_MS = 250;
const SECRETS = ['INTERNAL_API_TOKEN', 'ADMIN_API_TOKEN', 'AUTH_JWT_SECRET', 'RESUME_TOKEN_SECRET'] as const;

interface Running {
  name: string;
  child: ChildProcess;
}

interface App extends Running {
  health: string;
}

function run(supervisor: Supervisor, name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = supervisor.app(`${dist}${script}`, env);
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

/** Resolves when the app answers 200 on its health check, or when the platform is stopping anyway. */
async function healthy(supervisor: Supervisor, { name, health }: App): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!supervisor.isStopping) {
    const answer = await fetch(health, { signal: AbortSignal.timeout(2000) }).catch((e: Error) => e);
    if (answer instanceof Response && answer.ok) return;
    const last = answer instanceof Response ? `HTTP ${answer.status}` : answer.message;
    if (Date.now() > deadline)
      throw new Error(`the ${name} did not become healthy within ${READY_TIMEOUT_MS / 1000} s (${health}: ${last})`);
    await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  }
}

/** The sandbox speaks HTTP/2 over TLS only: it is up once it has written its CA for the notifier. */
async function written(supervisor: Supervisor, file: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!supervisor.isStopping && !existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`the APNs sandbox did not start within ${READY_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  }
}

/**
 * Without an APNs key, pushes go to our APNs sandbox: a throwaway provider key, the sandbox trusting
 * it, and the notifier trusting the sandbox's self-signed certificate.
 */
function apnsSandbox(supervisor: Supervisor, port: number, env: NodeJS.ProcessEnv) {
  const dir = mkdtempSync(join(tmpdir(), 'vc-apns-sandbox-'));
  const keyFile = join(dir, 'AuthKey_SANDBOX001.p8');
  const caFile = join(dir, 'ca.pem');
  writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const ids = { APNS_KEY_ID: 'SANDBOX001', APNS_TEAM_ID: 'SANDBOXTM1' };
  const child = run(supervisor, 'apns', 'apps/apns-sandbox/src/main.js', {
    ...env,
    ...ids,
    APNS_SANDBOX_PORT: String(port),
    APNS_SANDBOX_PUBLIC_KEY_FILE: keyFile,
    APNS_SANDBOX_CA_FILE: caFile,
  });
  const notifierEnv = { ...ids, APNS_KEY_FILE: keyFile, APNS_ENDPOINT: `https://127.0.0.1:${port}`, APNS_CA_FILE: caFile };
  return { app: { name: 'APNs sandbox', child } satisfies Running, caFile, notifierEnv };
}

function readyBlock(config: StartConfig, adminToken: string, randomSecrets: string[], sandbox: boolean): string {
  const gateway = `http://localhost:${config.GATEWAY_PORT}`;
  const calls = `http://127.0.0.1:${config.CALLS_PORT}`;
  const lines = [
    '',
    `=== platform ready: every app answers its health check ===`,
    ...(config.NODE_ENV === 'production' ? [] : [`web client  ${gateway}/?user=alice   (and ?user=bob in a second tab)`]),
    `gateway     ws://localhost:${config.GATEWAY_PORT}/signaling/v1   (demo token: curl -XPOST -H 'content-type: application/json' -d '{"userId":"alice"}' ${gateway}/dev/tokens)`,
    `admin API   ${calls}/calls   Authorization: Bearer ${adminToken}`,
    `API docs    ${calls}/docs`,
    `notifier    http://127.0.0.1:${config.NOTIFIER_PORT}/health`,
    sandbox
      ? `pushes      APNs sandbox https://127.0.0.1:${config.APNS_SANDBOX_PORT} (curl -k https://127.0.0.1:${config.APNS_SANDBOX_PORT}/sandbox/requests)`
      : `pushes      Apple, with APNS_KEY_FILE`,
    ...(randomSecrets.length
      ? [`secrets     random for this run: ${randomSecrets.join(', ')} (fix them in .env to keep tokens across restarts)`]
      : []),
    'Ctrl-C stops everything.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}

export async function startPlatform(config: StartConfig, supervisor: Supervisor): Promise<void> {
  const applied = await migrate(config.DATABASE_URL).catch((error: unknown) => {
    throw new Error(`migrating ${new URL(config.DATABASE_URL).host} failed: ${explainStartupError(error)}`);
  });
  console.log(applied.length ? `database migrated: ${applied.join(', ')}` : 'database schema is up to date');

  const secret = () => randomBytes(24).toString('hex');
  const randomSecrets = SECRETS.filter((name) => !process.env[name]);
  const secrets = Object.fromEntries(SECRETS.map((name) => [name, process.env[name] || secret()])) as Record<
    (typeof SECRETS)[number],
    string
  >;
  const shared = {
    ...process.env,
    NODE_ENV: config.NODE_ENV,
    DATABASE_URL: config.DATABASE_URL,
    REDIS_URL: config.REDIS_URL,
    // The apps write to our pipes: colour only if our own output reaches a person at a terminal.
    ...(colorsWanted() ? { FORCE_COLOR: '1' } : { NO_COLOR: '1' }),
    ...secrets,
  };
  const sandbox = config.APNS_KEY_FILE ? null : apnsSandbox(supervisor, config.APNS_SANDBOX_PORT, shared);
  const gatewayEnv = {
    ...shared,
    PORT: String(config.GATEWAY_PORT),
    CALLS_URL: `http://127.0.0.1:${config.CALLS_PORT}`,
    ...(config.NODE_ENV === 'production' ? {} : { WEB_CLIENT_DIR: `${dist}web-client` }),
    DEV_TOKENS: process.env.DEV_TOKENS ?? (config.NODE_ENV === 'production' ? 'false' : 'true'),
  };
  const local = (port: number) => `http://127.0.0.1:${port}/health`;
  let ready = false;
  const watch = ({ name, child }: Running) =>
    child.once('exit', (code, signal) => {
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (ready) supervisor.stop(1, `the ${name} exited (${how}); stopping the platform`);
      else supervisor.stop(1, `not started: the ${name} exited (${how}) before it was ready; its output is above. Stopped the other apps.`);
    });
  if (sandbox) watch(sandbox.app);
  try {
    if (sandbox) await written(supervisor, sandbox.caFile);
    const apps: App[] = [
      {
        name: 'calls app',
        child: run(supervisor, 'calls', 'apps/calls/src/main.js', { ...shared, PORT: String(config.CALLS_PORT) }),
        health: local(config.CALLS_PORT),
      },
      { name: 'gateway', child: run(supervisor, 'gateway', 'apps/gateway/src/main.js', gatewayEnv), health: local(config.GATEWAY_PORT) },
      {
        name: 'notifier',
        child: run(supervisor, 'notifier', 'apps/notifier/src/main.js', {
          ...shared,
          ...sandbox?.notifierEnv,
          PORT: String(config.NOTIFIER_PORT),
        }),
        health: local(config.NOTIFIER_PORT),
      },
    ];
    apps.forEach(watch);
    await Promise.all(apps.map((app) => healthy(supervisor, app)));
  } catch (error) {
    supervisor.stop(1, `not started: ${(error as Error).message}. Stopped the other apps.`);
  }
  if (supervisor.isStopping) return;
  ready = true;
  process.stdout.write(readyBlock(config, secrets.ADMIN_API_TOKEN, randomSecrets, sandbox !== null));
}
