/**
 * Checks, in about a second, everything that would otherwise fail `npm start` after its build:
 * the ports are free (a second `npm start` stops here, before it can rebuild dist/ under the first),
 * Postgres and Redis answer, are recent enough, and let us in. Each failure is one message that
 * says what to do, never a stack trace.
 */
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { HOW_TO_START } from '../libs/infra/src/startup-hints.js';
import { type StartConfig, portsOf } from './start-config.js';

export class PreflightError extends Error {}

const MIN_POSTGRES = 14;
const MIN_REDIS = 7;
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET']);
const describe = (error: unknown) => (error instanceof Error ? error.message || error.constructor.name : String(error));
const codeOf = (error: unknown) => (error instanceof AggregateError ? 'ECONNREFUSED' : (error as { code?: string }).code);

export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function checkPorts(config: StartConfig): Promise<void> {
  const ports = portsOf(config);
  const seen = new Map<number, string>();
  for (const { variable, port } of ports) {
    const other = seen.get(port);
    if (other) throw new PreflightError(`${other} and ${variable} are both ${port}: give each app its own port.`);
    seen.set(port, variable);
  }
  for (const { variable, port } of ports) {
    if (!(await portFree(port, config.HOST)))
      throw new PreflightError(
        `port ${port} (${variable}) is in use on ${config.HOST}: is npm start already running? Stop it, or set ${variable} to a free port.`,
      );
  }
}

/** Connects the way the migration will (to the maintenance database, which always exists). */
export async function checkPostgres(url: string): Promise<void> {
  const target = new URL(url);
  const at = target.host;
  const role = decodeURIComponent(target.username) || 'postgres';
  target.pathname = '/postgres';
  const client = new pg.Client({ connectionString: target.toString(), connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>('SHOW server_version_num');
    const major = Math.floor(Number(rows[0]?.v) / 10000);
    if (major < MIN_POSTGRES) throw new PreflightError(`PostgreSQL at ${at} is version ${major}; ${MIN_POSTGRES} or later is needed.`);
  } catch (error) {
    if (error instanceof PreflightError) throw error;
    const code = codeOf(error);
    if (code && UNREACHABLE.has(code))
      throw new PreflightError(`PostgreSQL is not reachable at ${at} (${describe(error)}); ${HOW_TO_START.postgres(at)}`);
    if (code === '28000')
      throw new PreflightError(`PostgreSQL at ${at} has no role "${role}" (${describe(error)}); ${HOW_TO_START.postgresRole(role)}`);
    if (/password must be a string/.test(describe(error)))
      throw new PreflightError(
        `PostgreSQL at ${at} asks "${role}" for a password: put it in DATABASE_URL (postgres://${role}:<password>@${at}/...).`,
      );
    if (code === '28P01') throw new PreflightError(`PostgreSQL at ${at} refused the password of "${role}": fix it in DATABASE_URL.`);
    throw new PreflightError(
      `PostgreSQL at ${at} refused the connection: ${describe(error)}${code ? ` (${code})` : ''}. Check DATABASE_URL.`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function checkRedis(url: string): Promise<void> {
  const at = new URL(url).host;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  // ioredis rejects with "Connection is closed"; the socket's own error says why.
  let cause: unknown = null;
  redis.on('error', (error) => (cause ??= error));
  try {
    await redis.connect();
    const version = /redis_version:(\d+)/.exec(await redis.info('server'))?.[1];
    if (Number(version) < MIN_REDIS) throw new PreflightError(`Redis at ${at} is version ${version}; ${MIN_REDIS} or later is needed.`);
  } catch (error) {
    if (error instanceof PreflightError) throw error;
    if (/NOAUTH|WRONGPASS|^ERR /.test(describe(error)))
      throw new PreflightError(`Redis at ${at} refused us: ${describe(error)}. Check REDIS_URL (password, TLS).`);
    throw new PreflightError(`Redis is not reachable at ${at} (${describe(cause ?? error)}); ${HOW_TO_START.redis(at)}`);
  } finally {
    redis.disconnect();
  }
}

export async function preflight(config: StartConfig): Promise<void> {
  await checkPorts(config);
  await Promise.all([checkPostgres(config.DATABASE_URL), checkRedis(config.REDIS_URL)]);
}
