import { z } from 'zod';
import type { RateLimit } from '#contracts';

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
  if (!parsed.success)
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(environment)';
        const value = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
        return value === undefined ? `${name}: ${issue.message} (not set)` : `${name}: ${issue.message}`;
      }),
    );
  const careless = carelessSecrets(parsed.data as Record<string, unknown>);
  if (careless.length > 0) throw new ConfigError(careless);
  return parsed.data;
}

/** Secrets are the variables named so; one rule, so a secret added later is covered without a list to keep. */
const SECRET_NAME = /_(SECRET|TOKEN)$/;
/** A production secret must be at least this long: 32 characters is 192 bits from a random hex or base64 generator. */
export const PRODUCTION_SECRET_MIN_LENGTH = 32;
/** Every placeholder the repo ships (docker-compose defaults, docs) says "change me"; a test keeps it so. */
const EXAMPLE_SECRET = /change[-_ ]?me/i;

/** True for a value the repo ships as an example, which a deployment must replace. */
export const isExampleSecret = (value: string): boolean => EXAMPLE_SECRET.test(value);

/**
 * In production, each secret must be long and not an example: a deployment that copied the compose
 * file's defaults would otherwise run with an admin token anyone can read on GitHub.
 */
function carelessSecrets(config: Record<string, unknown>): string[] {
  if (config.NODE_ENV !== 'production') return [];
  return Object.entries(config).flatMap(([name, value]) => {
    if (!SECRET_NAME.test(name) || typeof value !== 'string') return [];
    if (isExampleSecret(value)) return [`${name}: is an example value shipped in the repo; set a random secret (NODE_ENV=production)`];
    if (value.length < PRODUCTION_SECRET_MIN_LENGTH)
      return [`${name}: must be at least ${PRODUCTION_SECRET_MIN_LENGTH} characters in production (has ${value.length})`];
    return [];
  });
}

/** Env helpers shared by the apps' config schemas. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  positiveMs: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  /** A rate limit written `points/seconds`, e.g. `200/1`: `points` actions per window of `seconds`. */
  rateLimit: (fallback: RateLimit) =>
    z
      .string()
      .regex(/^\d+\/\d+$/, 'must be <points>/<seconds>, e.g. 200/1')
      .default(`${fallback.points}/${fallback.seconds}`)
      .transform((v): RateLimit => {
        const [points, seconds] = v.split('/').map(Number) as [number, number];
        return { points, seconds };
      })
      .refine((l) => l.points > 0 && l.seconds > 0, 'points and seconds must both be positive'),
  flag: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  /** A flag whose default depends on other settings: undefined when unset. */
  optionalFlag: () =>
    z
      .enum(['true', 'false', '1', '0'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
  url: (protocols: string[], fallback?: string) => {
    const base = z.url({ protocol: new RegExp(`^(${protocols.join('|')})$`) });
    return fallback === undefined ? base : base.default(fallback);
  },
  /** Optional, with an empty value counting as unset: a Compose override can blank a variable but not remove it. */
  optional: <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional()),
  nodeEnv: () => z.enum(['development', 'production', 'test']).default('development'),
  logFormat: () => z.enum(['text', 'json']).default('text'),
  logLevel: () => z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  redisPrefix: () =>
    z
      .string()
      .regex(/^[A-Za-z0-9:_.-]*$/, 'use letters, digits and : _ . - only')
      .default('vc:'),
  secret: (minLength = 16) => z.string().min(minLength, `must be at least ${minLength} characters`),
  /** A comma-separated list, each item checked by `item`; empty when unset. */
  list: (item: z.ZodType<string, string>) =>
    z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean),
      )
      .pipe(z.array(item)),
};

/** What every app reads: where it listens, how it logs, and the Redis it shares with the others. */
export const appConfigShape = (port: number) => ({
  NODE_ENV: env.nodeEnv(),
  PORT: env.port(port),
  HOST: z.string().default('127.0.0.1'),
  REDIS_URL: env.url(['redis', 'rediss'], DEFAULT_REDIS_URL),
  /** When set, every Redis connection goes to this cluster and REDIS_URL is not used. */
  REDIS_CLUSTER_NODES: env.list(z.url({ protocol: /^rediss?$/ })),
  REDIS_PREFIX: env.redisPrefix(),
  LOG_FORMAT: env.logFormat(),
  /** Lowest level logged: trace, debug, info, warn, error, fatal. */
  LOG_LEVEL: env.logLevel(),
  /** When set, GET /metrics asks for `Authorization: Bearer <METRICS_TOKEN>` (a gateway's port is public). */
  METRICS_TOKEN: env.optional(env.secret()),
});

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/video_calls';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Colour in logs only for a person at a terminal: NO_COLOR (no-color.org) wins, FORCE_COLOR asks
 * for it through a pipe (`npm start` sets it when its own output is a terminal), else a TTY decides.
 */
export function colorsWanted(env: NodeJS.ProcessEnv = process.env, isTTY = process.stdout.isTTY === true): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return !['0', 'false', ''].includes(env.FORCE_COLOR);
  return isTTY;
}
