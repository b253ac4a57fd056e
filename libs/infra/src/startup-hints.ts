/**
 * What to tell a developer whose Postgres or Redis is down, for the three ways people run them.
 * Said once, used by every entry point. No imports: `npm start` bundles this file on its own to
 * check dependencies before anything is built.
 */
const portOf = (hostPort: string, fallback: string) => /:(\d+)$/.exec(hostPort)?.[1] ?? fallback;

export const HOW_TO_START = {
  /** `hostPort` is where the user pointed DATABASE_URL, so the Docker line publishes that port. */
  postgres: (hostPort = '127.0.0.1:5432') => {
    const port = portOf(hostPort, '5432');
    return [
      `start PostgreSQL (14 or later) on ${hostPort}, or point DATABASE_URL at yours:`,
      `  Debian:  sudo apt-get install postgresql && sudo pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
      `  macOS:   brew install postgresql@16 && brew services start postgresql@16 && createuser -s postgres`,
      `  Docker:  docker run -d --name vc-postgres -p ${port}:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`,
    ].join('\n');
  },
  redis: (hostPort = '127.0.0.1:6379') => {
    const port = portOf(hostPort, '6379');
    return [
      `start Redis (7 or later) on ${hostPort}, or point REDIS_URL at yours:`,
      `  Debian:  sudo apt-get install redis-server && redis-server --daemonize yes --bind 127.0.0.1 --port ${port} --save "" --appendonly no`,
      `  macOS:   brew install redis && redis-server --daemonize yes --port ${port}`,
      `  Docker:  docker run -d --name vc-redis -p ${port}:6379 redis:7`,
    ].join('\n');
  },
  /** A role named in DATABASE_URL that the server does not know (a fresh Homebrew install has only yours). */
  postgresRole: (role: string) =>
    [
      `create the role, or put an existing one in DATABASE_URL:`,
      `  Debian:  sudo -u postgres createuser --superuser ${role}`,
      `  macOS:   createuser -s ${role}`,
      `  Docker:  the postgres image's role is "postgres" (postgres://postgres@127.0.0.1:5432/video_calls)`,
    ].join('\n'),
} as const;

/** The host:port a refused connection was aimed at, from Node's error (or the first of a happy-eyeballs set). */
function refusedAt(error: unknown): string | null {
  const inner = error instanceof AggregateError ? error.errors[0] : error;
  const { code, address, port } = (inner ?? {}) as { code?: string; address?: string; port?: number };
  return code === 'ECONNREFUSED' && address && port ? `${address}:${port}` : null;
}

/**
 * One line for a boot failure instead of a stack trace when the cause is a dependency that is not
 * running. The apps do not say which client failed, so the default ports decide which hint fits.
 */
export function explainStartupError(error: unknown): string {
  const text = error instanceof Error ? error.message || error.constructor.name : String(error);
  const at = refusedAt(error);
  const { code, port } = (error ?? {}) as { code?: string; port?: number };
  if (code === 'EADDRINUSE') return `port ${port} is in use: another copy of the app, or something else, listens there (${text})`;
  if (at?.endsWith(':5432')) return `PostgreSQL is not reachable at ${at} (${text}); ${HOW_TO_START.postgres(at)}`;
  if (at?.endsWith(':6379')) return `Redis is not reachable at ${at} (${text}); ${HOW_TO_START.redis(at)}`;
  if (at) return `nothing answers at ${at} (${text}): is the service configured there running?`;
  return error instanceof Error ? (error.stack ?? text) : text;
}
