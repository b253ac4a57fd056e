import type { INestApplication, LoggerService } from '@nestjs/common';
import { ConfigError } from './config-loader.js';

/**
 * Starts an app and turns the two ways a boot fails into one clear line each: bad configuration
 * (names the variable) and an unreachable dependency (names it and how to start it).
 */
export async function runApp(name: string, start: () => Promise<INestApplication>, logger?: LoggerService): Promise<void> {
  try {
    const app = await start();
    app.enableShutdownHooks();
  } catch (error) {
    const say = (m: string) => (logger ? logger.error(m, name) : console.error(`[${name}] ${m}`));
    if (error instanceof ConfigError) say(error.message);
    else say(`failed to start: ${explainStartupError(error)}`);
    process.exit(1);
  }
}

/** What to tell a developer whose Postgres or Redis is down: said once, used by every entry point. */
export const HOW_TO_START = {
  postgres: 'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or point DATABASE_URL at yours)',
  redis: 'start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no (or point REDIS_URL at yours)',
} as const;

/** A refused connection on the default ports is, in practice, Postgres or Redis not running. */
export function explainStartupError(error: unknown): string {
  const text = error instanceof Error ? `${error.message}` : String(error);
  const code = (error as { code?: string } | null)?.code;
  if (code === 'ECONNREFUSED' && /5432/.test(text)) return `PostgreSQL is not reachable (${text}); ${HOW_TO_START.postgres}.`;
  if (code === 'ECONNREFUSED' && /6379/.test(text)) return `Redis is not reachable (${text}); ${HOW_TO_START.redis}.`;
  return error instanceof Error ? (error.stack ?? text) : text;
}
