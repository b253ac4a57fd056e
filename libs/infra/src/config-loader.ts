import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The only reader of process.env. Each app calls this once at boot with its own schema; a bad or
 * missing value stops the app with a message that names the variable.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
      return value === undefined ? `${name}: ${issue.message} (not set)` : `${name}: ${issue.message}`;
    }),
  );
}

/** Env helpers shared by the apps' config schemas. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  positiveMs: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  flag: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  url: (protocols: string[], fallback?: string) => {
    const base = z.url({ protocol: new RegExp(`^(${protocols.join('|')})$`) });
    return fallback === undefined ? base : base.default(fallback);
  },
  nodeEnv: () => z.enum(['development', 'production', 'test']).default('development'),
  logFormat: () => z.enum(['text', 'json']).default('text'),
  redisPrefix: () =>
    z
      .string()
      .regex(/^[A-Za-z0-9:_.-]*$/, 'use letters, digits and : _ . - only')
      .default('vc:'),
  secret: (minLength = 16) => z.string().min(minLength, `must be at least ${minLength} characters`),
};

/** What every app reads: where it listens, how it logs, and the Redis it shares with the others. */
export const appConfigShape = (port: number) => ({
  NODE_ENV: env.nodeEnv(),
  PORT: env.port(port),
  HOST: z.string().default('127.0.0.1'),
  REDIS_URL: env.url(['redis', 'rediss'], DEFAULT_REDIS_URL),
  REDIS_PREFIX: env.redisPrefix(),
  LOG_FORMAT: env.logFormat(),
});

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/video_calls';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
