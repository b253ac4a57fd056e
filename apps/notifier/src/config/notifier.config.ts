import { z } from 'zod';
import { DEFAULT_REDIS_URL, env } from '#infra';

export const NotifierConfigSchema = z.object({
  NODE_ENV: env.nodeEnv(),
  PORT: env.port(3002),
  HOST: z.string().default('127.0.0.1'),
  REDIS_URL: env.url(['redis', 'rediss'], DEFAULT_REDIS_URL),
  REDIS_PREFIX: env.redisPrefix(),
  LOG_FORMAT: env.logFormat(),
});
export type NotifierConfig = z.infer<typeof NotifierConfigSchema>;

export const NOTIFIER_CONFIG = Symbol('NOTIFIER_CONFIG');
